#!/bin/sh
# make dist: package the release binaries (`make release` built them) into
# target/dist/:
#   shipshape-VERSION-TARGET.tar.gz  the five tools, man pages, bash/zsh/fish
#                                    completions, README, licences, contrib/
#   shipshape_VERSION-1_ARCH.deb     the same, where Debian puts them (cargo-deb)
#   SHA256SUMS                       over both
# Everything generated on the way goes to target/dist-work/ (rebuilt each run).
#
# DIST_TARGETS (default: the host) names the Rust targets to archive; a
# target other than the host is built with `cargo build --release --target`,
# which needs `rustup target add` and a linker for it. The .deb is built for
# the host only.
set -eu
cd "$(dirname "$0")/../.."

CARGO=${CARGO:-cargo}
TOOLS="validate-env pg-backup pg-restore migrate-check alert-lint"
DIST=target/dist
WORK=target/dist-work

say() { echo "dist: $*" >&2; }
die() { echo "dist: error: $*" >&2; exit 3; }

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
[ -n "$version" ] || die "no version in the [workspace.package] table of Cargo.toml"
host=$(rustc -vV | sed -n 's/^host: //p')
targets=${DIST_TARGETS:-$host}

# The Debian changelog's newest entry must be this version, or dpkg and
# lintian disagree with the package about what it is.
deb_version="$version-1"
changelog_version=$(sed -n '1s/^shipshape (\([^)]*\)).*/\1/p' scripts/dist/debian/changelog)
[ "$changelog_version" = "$deb_version" ] ||
    die "scripts/dist/debian/changelog starts with $changelog_version, the package is $deb_version: add an entry (dch -v $deb_version)"

# Timestamps inside the archives: the commit's, so two runs on one commit
# produce the same archive bytes (SOURCE_DATE_EPOCH wins when set).
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

rm -rf "$WORK" "$DIST"
mkdir -p "$WORK/gen" "$DIST"

say "generating man pages and completions"
"$CARGO" run --release --quiet -p shipshape-dist -- "$WORK/gen"
# clap's `help` subcommand gets pages too (pg-backup-help-list.1 …); they only say "see --help".
rm -f "$WORK"/gen/man/*-help.1 "$WORK"/gen/man/*-help-*.1

# One prefix tree (bin/, share/) per target; unpack it into /usr/local or ~/.local.
for target in $targets; do
    if [ "$target" = "$host" ]; then
        bin=target/release
    else
        say "building for $target"
        "$CARGO" build --release --target "$target" $(for t in $TOOLS; do printf -- '-p %s ' "$t"; done)
        bin=target/$target/release
    fi
    name="shipshape-$version-$target"
    root="$WORK/tar/$name"
    mkdir -p "$root/bin" "$root/share/man/man1" "$root/share/bash-completion/completions" \
        "$root/share/zsh/site-functions" "$root/share/fish/vendor_completions.d"
    for tool in $TOOLS; do
        [ -x "$bin/$tool" ] || die "$bin/$tool is missing: run make release (or make dist) first"
        cp "$bin/$tool" "$root/bin/"
        cp "$WORK/gen/completions/$tool.bash" "$root/share/bash-completion/completions/$tool"
        cp "$WORK/gen/completions/_$tool" "$root/share/zsh/site-functions/"
        cp "$WORK/gen/completions/$tool.fish" "$root/share/fish/vendor_completions.d/"
    done
    cp "$WORK"/gen/man/*.1 "$root/share/man/man1/"
    cp README.md LICENSE-MIT LICENSE-APACHE "$root/"
    cp -R contrib "$root/contrib"
    chmod -R u=rwX,go=rX "$root"
    say "writing $DIST/$name.tar.gz"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
        -C "$WORK/tar" -cf - "$name" | gzip -9n >"$DIST/$name.tar.gz"
done

# The .deb's inputs, named as [package.metadata.deb] in crates/dist/Cargo.toml expects.
deb="$WORK/deb"
mkdir -p "$deb/man" "$deb/bash" "$deb/zsh" "$deb/fish" "$deb/systemd" "$deb/examples"
cp "$WORK"/gen/man/*.1 "$deb/man/"
for tool in $TOOLS; do
    cp "$WORK/gen/completions/$tool.bash" "$deb/bash/$tool"
    cp "$WORK/gen/completions/_$tool" "$deb/zsh/"
    cp "$WORK/gen/completions/$tool.fish" "$deb/fish/"
done
# contrib/ names /usr/local/bin (where the archive goes); the package installs in /usr/bin.
for unit in contrib/systemd/*.service contrib/systemd/*.timer; do
    sed -e 's|/usr/local/bin/|/usr/bin/|g' \
        -e 's|^# Install: copy to /etc/systemd/system/, copy|# Installed by the shipshape package, not enabled. Copy|' \
        "$unit" >"$deb/systemd/${unit##*/}"
done
cp contrib/systemd/pg-backup.env.example "$deb/examples/"
sed 's|/usr/local/bin/|/usr/bin/|g' contrib/cron/pg-backup.cron >"$deb/examples/pg-backup.cron"
gzip -9n <README.md >"$deb/README.md.gz"
# The crates linked into the binaries and their licences (the copyright file points here).
{
    echo "Crates statically linked into the shipshape $version binaries (cargo tree -e normal):"
    echo
    "$CARGO" tree --quiet --edges normal --prefix none --format '{p} — {l}' \
        --target "$host" $(for t in $TOOLS; do printf -- '-p %s ' "$t"; done) |
        grep -v -e '(/' -e '^$' | sed 's/ (\*)$//' | sort -u
} | gzip -9n >"$deb/THIRD-PARTY.gz"

# cargo-deb, pinned (a new release may package differently), built once into
# target/tools/ (not ~/.cargo: nothing outside the repository changes).
tools_dir=target/tools
cargo_deb_version=3.8.0
if ! "$tools_dir/bin/cargo-deb" --version 2>/dev/null | grep -qx "cargo-deb $cargo_deb_version"; then
    say "installing cargo-deb $cargo_deb_version into $tools_dir (once, a few minutes)"
    "$CARGO" install --locked --root "$tools_dir" --version "$cargo_deb_version" cargo-deb
fi
say "building the .deb"
# cargo-deb warns about every asset path that contains "target/" but is not
# target/release/; those are ours, on purpose. Anything else is shown.
SOURCE_DATE_EPOCH=$epoch "$tools_dir/bin/cargo-deb" --no-build -p shipshape-dist \
    --deb-version "$deb_version" --output "$DIST/" >"$WORK/cargo-deb.log" 2>&1 ||
    { cat "$WORK/cargo-deb.log" >&2; die "cargo deb failed"; }
grep -v -e '^warning: Only source paths starting with exactly' -e '^/' "$WORK/cargo-deb.log" >&2 || true

for f in "$DIST"/*.deb; do
    SOURCE_DATE_EPOCH=$epoch sh scripts/dist/md5sums.sh "$f" "$WORK/md5sums"
done

(cd "$DIST" && sha256sum -- *.tar.gz *.deb >SHA256SUMS)
say "done:"
ls -l "$DIST" >&2
