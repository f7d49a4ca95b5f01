/// Longest title, in Unicode scalar values, the `…` included.
pub const MAX_TITLE_CHARS: usize = 50;

/// The title a session gets from its first message: whitespace runs collapsed to one space,
/// and at most [`MAX_TITLE_CHARS`] scalar values. A cut title ends with `…` inside the limit,
/// so the sidebar shows it is cut; cutting by `char` never splits a code point.
pub fn session_title(first_message: &str) -> String {
    title_within(first_message, MAX_TITLE_CHARS)
}

/// `text` as a title of at most `max_chars`: whitespace runs collapsed, cut with `…`.
pub fn title_within(text: &str, max_chars: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max_chars {
        return collapsed;
    }
    let kept: String = collapsed.chars().take(max_chars - 1).collect();
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_runs_collapse_to_single_spaces_and_ends_are_trimmed() {
        assert_eq!(
            session_title("  How\tdo I\n\n pace   a 100k?  "),
            "How do I pace a 100k?"
        );
    }

    #[test]
    fn a_message_of_exactly_fifty_characters_is_kept_whole() {
        let message = "a".repeat(50);
        assert_eq!(session_title(&message), message);
    }

    #[test]
    fn a_message_of_fifty_one_characters_is_cut_to_fifty_with_an_ellipsis() {
        let title = session_title(&"b".repeat(51));
        assert_eq!(title.chars().count(), 50);
        assert_eq!(title, format!("{}…", "b".repeat(49)));
    }

    #[test]
    fn emoji_count_as_one_character_each_and_are_never_split() {
        let title = session_title(&"🏃‍♀️".repeat(30));
        assert!(title.chars().count() <= 50);
        assert!(title.ends_with('…'));
        // Every kept char is a whole scalar value from the input.
        assert!(
            title
                .trim_end_matches('…')
                .chars()
                .all(|c| "🏃‍♀️".contains(c))
        );
    }

    #[test]
    fn combining_marks_count_as_their_own_scalar_values() {
        let message = "e\u{301}".repeat(30); // 60 scalar values, 30 graphemes
        let title = session_title(&message);
        assert_eq!(title.chars().count(), 50);
        assert!(title.starts_with("e\u{301}e\u{301}"));
        assert!(title.ends_with('…'));
    }

    #[test]
    fn a_cut_that_lands_on_a_space_leaves_no_space_before_the_ellipsis() {
        let message = format!("{} {}", "x".repeat(48), "y".repeat(10));
        assert_eq!(session_title(&message), format!("{}…", "x".repeat(48)));
    }

    #[test]
    fn multibyte_text_longer_than_fifty_is_cut_on_scalar_boundaries() {
        let title = session_title(&"ß日".repeat(40));
        assert_eq!(title.chars().count(), 50);
        assert!(title.is_char_boundary(title.len() - '…'.len_utf8()));
    }
}
