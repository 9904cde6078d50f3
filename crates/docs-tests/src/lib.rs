//! Helpers for the documentation tests: extracting fenced blocks from
//! Markdown. The tests themselves (tests/main.rs) run every `console` example
//! in README.md and docs/, check that the GitHub Action and the workflows in
//! docs/github-actions.md agree, and verify the systemd units.

/// A fenced code block: its info string (`console`, `yaml` …), the line of
/// the opening fence (1-based) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub info: String,
    pub line: usize,
    pub text: String,
}

/// All fenced blocks (```` ``` ```` fences) in a Markdown text.
pub fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match current.take() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    current = Some(Block {
                        info: info.trim().to_owned(),
                        line: index + 1,
                        text: String::new(),
                    });
                }
            }
            Some(mut block) => {
                if trimmed.starts_with("```") {
                    blocks.push(block);
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                    current = Some(block);
                }
            }
        }
    }
    blocks
}

/// One command of a `console` block: `$ command`, and the exit code the
/// docs promise (a line `# exit N` after it; 0 when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleCommand {
    pub command: String,
    pub expected_exit: i32,
    /// Line in the Markdown file.
    pub line: usize,
}

/// The commands of a `console` block that starts at `block_line`.
pub fn console_commands(block: &Block) -> Vec<ConsoleCommand> {
    let exit_marker = regex::Regex::new(r"^#\s*exit\s+(\d+)\s*$").ok();
    let mut commands: Vec<ConsoleCommand> = Vec::new();
    for (offset, line) in block.text.lines().enumerate() {
        if let Some(command) = line.strip_prefix("$ ") {
            commands.push(ConsoleCommand {
                command: command.to_owned(),
                expected_exit: 0,
                line: block.line + 1 + offset,
            });
        } else if let Some(code) = exit_marker.as_ref().and_then(|re| re.captures(line.trim()))
            && let (Some(last), Ok(code)) = (commands.last_mut(), code[1].parse())
        {
            last.expected_exit = code;
        }
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_blocks_and_commands() {
        let md = "text\n```console\n$ tool --ok\noutput\n$ tool --bad\nerror: x\n# exit 1\n```\n```yaml\na: 1\n```\n";
        let blocks = fenced_blocks(md);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].info, "console");
        assert_eq!(blocks[1].text, "a: 1\n");
        let commands = console_commands(&blocks[0]);
        assert_eq!(commands.len(), 2);
        assert_eq!((commands[0].expected_exit, commands[0].line), (0, 3));
        assert_eq!(
            (commands[1].command.as_str(), commands[1].expected_exit),
            ("tool --bad", 1)
        );
    }
}
