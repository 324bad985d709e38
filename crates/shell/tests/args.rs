//! Splitting command lines into words.

use shell::{ParseError, split_args};

fn split(line: &str) -> Result<Vec<&str>, ParseError> {
    let mut words = [""; 8];
    let n = split_args(line, &mut words)?;
    Ok(words[..n].to_vec())
}

#[test]
fn blanks_separate_words() {
    assert_eq!(split("ls"), Ok(vec!["ls"]));
    assert_eq!(split("  echo   a\tb  "), Ok(vec!["echo", "a", "b"]));
    assert_eq!(split("é 中文"), Ok(vec!["é", "中文"]));
    assert_eq!(split(""), Ok(vec![]));
    assert_eq!(split(" \t "), Ok(vec![]));
}

#[test]
fn quotes_keep_blanks_inside_a_word() {
    assert_eq!(
        split(r#"echo "a  b" 'c d'"#),
        Ok(vec!["echo", "a  b", "c d"])
    );
    assert_eq!(
        split(r#"say '"hi"' "it's""#),
        Ok(vec!["say", "\"hi\"", "it's"])
    );
    assert_eq!(split(r#"x "" ''"#), Ok(vec!["x", "", ""]));
    assert_eq!(split("\"tab\"\tnext"), Ok(vec!["tab", "next"]));
}

#[test]
fn quotes_inside_a_word_and_backslashes_are_ordinary() {
    assert_eq!(split(r#"it's a"b c\d"#), Ok(vec!["it's", "a\"b", "c\\d"]));
}

#[test]
fn errors() {
    assert_eq!(split(r#"echo "abc"#), Err(ParseError::UnterminatedQuote));
    assert_eq!(split("echo 'abc\""), Err(ParseError::UnterminatedQuote));
    assert_eq!(split(r#"echo "a"b"#), Err(ParseError::TextAfterQuote));
    assert_eq!(split(r#"''x"#), Err(ParseError::TextAfterQuote));
    assert_eq!(
        split("1 2 3 4 5 6 7 8 9"),
        Err(ParseError::TooManyWords { limit: 8 })
    );
    let mut none: [&str; 0] = [];
    assert_eq!(
        split_args("a", &mut none),
        Err(ParseError::TooManyWords { limit: 0 })
    );
    assert_eq!(split_args("  ", &mut none), Ok(0));
}

#[test]
fn exactly_as_many_words_as_room_is_fine() {
    assert_eq!(split("1 2 3 4 5 6 7 8 ").map(|w| w.len()), Ok(8));
    // A tab separates words like a space (the editor turns a typed Tab into
    // spaces, but a line may come from elsewhere).
    assert_eq!(split("echo\ta \t b"), Ok(vec!["echo", "a", "b"]));
}

#[test]
fn errors_explain_themselves() {
    assert_eq!(
        ParseError::UnterminatedQuote.to_string(),
        "missing closing quote"
    );
    assert_eq!(
        ParseError::TextAfterQuote.to_string(),
        "a closing quote must be followed by a space"
    );
    assert_eq!(
        ParseError::TooManyWords { limit: 16 }.to_string(),
        "too many words (the limit is 16)"
    );
}

/// Random lines from a few interesting pieces: splitting never panics, and
/// when it succeeds, joining the words back (quoting those that need it) and
/// splitting again gives the same words.
#[test]
fn random_lines_split_consistently() {
    const PIECES: &[&str] = &[
        "a", "bc", " ", "  ", "\t", "\"", "'", "é", "中", "\\", "x y",
    ];
    let mut rng = xorshift::XorShift64(0x2545_f491_4f6c_dd1d);
    for _ in 0..20_000 {
        let mut line = String::new();
        for _ in 0..rng.0 % 12 {
            line.push_str(PIECES[rng.below(PIECES.len())]);
        }
        let mut words = [""; 16];
        let Ok(n) = split_args(&line, &mut words) else {
            continue;
        };
        for word in &words[..n] {
            assert!(!word.is_empty() || line.contains("\"\"") || line.contains("''"));
            assert!(line.contains(word), "{word:?} is a piece of {line:?}");
        }
        let Some(rejoined) = words[..n]
            .iter()
            .map(|w| requote(w))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let rejoined = rejoined.join(" ");
        let mut again = [""; 16];
        let m = split_args(&rejoined, &mut again)
            .unwrap_or_else(|e| panic!("{rejoined:?} from {line:?}: {e}"));
        assert_eq!(again[..m], words[..n], "line {line:?}");
    }
}

/// `word` as it must be typed to be split back out, if that is possible.
fn requote(word: &str) -> Option<String> {
    let bare = !word.is_empty() && !word.starts_with(['"', '\'']) && !word.contains([' ', '\t']);
    if bare {
        Some(word.to_string())
    } else if !word.contains('"') {
        Some(format!("\"{word}\""))
    } else if !word.contains('\'') {
        Some(format!("'{word}'"))
    } else {
        None
    }
}
