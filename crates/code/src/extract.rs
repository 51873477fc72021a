//! Taking the program out of a markdown completion.

/// The last fenced code block of `completion` (```` ``` ```` or `~~~` fences, any info string); an
/// unterminated last fence (a truncated completion) yields everything after it; text without fences is
/// returned unchanged (HumanEval-style completions are bare code).
pub fn last_code_block(completion: &str) -> &str {
    let mut last: Option<&str> = None;
    let mut open: Option<(usize, &str)> = None;
    let mut offset = 0;
    for line in completion.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let fence = ["```", "~~~"]
            .into_iter()
            .find(|fence| indent <= 3 && trimmed.starts_with(fence));
        match (open, fence) {
            (None, Some(fence)) => open = Some((offset, fence)),
            (Some((body, fence)), Some(closing))
                if closing == fence
                    && trimmed
                        .trim_end()
                        .trim_start_matches(fence.chars().next().unwrap_or('`'))
                        .is_empty() =>
            {
                last = Some(&completion[body..start]);
                open = None;
            }
            _ => {}
        }
    }
    match (open, last) {
        (Some((body, _)), _) => &completion[body..],
        (None, Some(block)) => block,
        (None, None) => completion,
    }
}

#[cfg(test)]
mod tests {
    use super::last_code_block;

    #[test]
    fn takes_the_last_fenced_block() {
        let text = "Try:\n```python\nx = 1\n```\nBetter:\n```py\ndef f():\n    return 2\n```\nDone.";
        assert_eq!(last_code_block(text), "def f():\n    return 2\n");
    }

    #[test]
    fn bare_code_is_kept_and_truncated_fences_run_to_the_end() {
        assert_eq!(last_code_block("    return x + 1\n"), "    return x + 1\n");
        assert_eq!(last_code_block("```python\nprint(1)\n"), "print(1)\n");
        assert_eq!(last_code_block("~~~\na\n~~~\n```c\nint x;"), "int x;");
    }

    #[test]
    fn fences_inside_a_block_of_the_other_kind_do_not_close_it() {
        assert_eq!(last_code_block("~~~\ns = '```'\n```\n~~~\n"), "s = '```'\n```\n");
    }
}
