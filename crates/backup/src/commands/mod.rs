//! One module per subcommand (`create` is also the code path of
//! [`backup_on_behalf`](create::backup_on_behalf)).

pub(crate) mod create;
pub(crate) mod keygen;
pub(crate) mod list;
pub(crate) mod prune;
pub(crate) mod verify;
