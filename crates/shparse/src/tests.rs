//! The parser's tests: examples of each rule, every error, and random
//! input (garbage never panics; quoted random words come back unchanged).

use crate::*;
use alloc::string::String;
use alloc::vec::Vec;
use xorshift::XorShift64;

struct Env;

impl Environment for Env {
    fn var(&self, name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/k".into()),
            "EMPTY" => Some(String::new()),
            "1" => Some("first".into()),
            _ => None,
        }
    }
    fn last_status(&self) -> i32 {
        42
    }
    fn shell_pid(&self) -> u32 {
        99
    }
}

/// The expanded words of each command of each pipeline, flattened.
fn argv(line: &str) -> Vec<Vec<String>> {
    let script = parse(line).unwrap();
    let mut out = Vec::new();
    for item in &script.items {
        let pipelines =
            core::iter::once(&item.chain.first).chain(item.chain.rest.iter().map(|(_, p)| p));
        for pipeline in pipelines {
            for command in &pipeline.commands {
                out.push(
                    command
                        .words
                        .iter()
                        .filter_map(|w| w.expand(&Env))
                        .collect(),
                );
            }
        }
    }
    out
}

fn words(line: &str) -> Vec<String> {
    argv(line).remove(0)
}

#[test]
fn blanks_separate_words() {
    assert_eq!(words("  ls \t -l   /bin "), ["ls", "-l", "/bin"]);
}

#[test]
fn quotes_and_backslashes() {
    assert_eq!(
        words(r#"echo 'a  b' "c  d" e\ f"#),
        ["echo", "a  b", "c  d", "e f"]
    );
    assert_eq!(
        words(r#"echo 'it''s' "say \"hi\"" a'b'"c""#),
        ["echo", "its", "say \"hi\"", "abc"]
    );
    assert_eq!(
        words(r#"echo '$HOME' "\$HOME" \$HOME"#),
        ["echo", "$HOME", "$HOME", "$HOME"]
    );
    assert_eq!(
        words(r#"echo "a\b" '\n' "" ''"#),
        ["echo", "a\\b", "\\n", "", ""]
    );
    assert_eq!(
        words(r"echo \| \; \& \> \#"),
        ["echo", "|", ";", "&", ">", "#"]
    );
}

#[test]
fn variables_expand_and_empty_unquoted_ones_vanish() {
    assert_eq!(
        words("echo $HOME ${HOME}/x \"$HOME\"s $? $$ ${?} $1"),
        [
            "echo",
            "/home/k",
            "/home/k/x",
            "/home/ks",
            "42",
            "99",
            "42",
            "first"
        ]
    );
    assert_eq!(words("echo $UNSET $EMPTY end"), ["echo", "end"]);
    assert_eq!(words("echo \"$UNSET\" a$UNSET"), ["echo", "", "a"]);
    assert_eq!(words("echo $ a$ $- 5$"), ["echo", "$", "a$", "$-", "5$"]);
    assert_eq!(words("echo $HOME.txt $HOMEx"), ["echo", "/home/k.txt"]);
}

#[test]
fn comments_run_to_the_end_of_their_line() {
    assert_eq!(argv("echo a # b c"), [["echo", "a"]]);
    assert_eq!(argv("echo a#b"), [["echo", "a#b"]]);
    assert_eq!(argv("# only a comment"), Vec::<Vec<String>>::new());
    assert_eq!(argv("echo 1 # one\necho 2"), [["echo", "1"], ["echo", "2"]]);
}

#[test]
fn pipelines_lists_and_background() {
    let script = parse("a | b | c && d || e; f & g").unwrap();
    assert_eq!(script.items.len(), 3);
    let first = &script.items[0];
    assert!(!first.background);
    assert_eq!(first.chain.first.commands.len(), 3);
    let connectors: Vec<_> = first.chain.rest.iter().map(|(c, _)| *c).collect();
    assert_eq!(connectors, [Connector::And, Connector::Or]);
    assert!(script.items[1].background);
    assert!(!script.items[2].background);
    assert!(parse("sleep 1 &").unwrap().items[0].background);
    assert_eq!(parse("a\n\n b\n").unwrap().items.len(), 2);
    assert_eq!(parse("").unwrap(), Script::default());
}

/// An unquoted word of plain text.
fn plain(text: &str) -> Word {
    Word {
        pieces: alloc::vec![Piece::Text(text.into())],
        quoted: false,
    }
}

fn redirections(line: &str) -> Vec<Redirection> {
    parse(line).unwrap().items[0].chain.first.commands[0]
        .redirections
        .clone()
}

#[test]
fn redirections_with_and_without_descriptors() {
    let r = |fd, how| Redirection { fd, how };
    assert_eq!(
        redirections("cat < in > out 2> err >> log"),
        [
            r(0, Redirect::Read(plain("in"))),
            r(1, Redirect::Write(plain("out"))),
            r(2, Redirect::Write(plain("err"))),
            r(1, Redirect::Append(plain("log"))),
        ]
    );
    assert_eq!(
        redirections("cmd 2>&1 >&2 3<&0 5>x"),
        [
            r(2, Redirect::Duplicate(1)),
            r(1, Redirect::Duplicate(2)),
            r(3, Redirect::Duplicate(0)),
            r(5, Redirect::Write(plain("x"))),
        ]
    );
    assert_eq!(redirections(">out")[0], r(1, Redirect::Write(plain("out"))));
    assert_eq!(
        redirections("x 2>&1>f")[1],
        r(1, Redirect::Write(plain("f")))
    );
    // A number not glued to the operator, or quoted, is an argument.
    assert_eq!(words("echo 2 > f '2'>g"), ["echo", "2", "2"]);
}

fn text(word: &Word) -> String {
    word.literal().unwrap()
}

#[test]
fn redirection_targets_keep_their_pieces() {
    let redirections = redirections("cat > \"$HOME/x y\"");
    let Redirect::Write(word) = &redirections[0].how else {
        panic!("{redirections:?}")
    };
    assert_eq!(word.expand(&Env).unwrap(), "/home/k/x y");
    assert_eq!(text(&Word::text("a")), "a");
}

#[test]
fn bad_lines_give_clear_errors() {
    let cases = [
        ("echo 'abc", Error::UnclosedQuote('\'')),
        ("echo \"abc", Error::UnclosedQuote('"')),
        ("echo ${HOME", Error::UnclosedBrace),
        ("echo ${}", Error::BadVariableName),
        ("echo ${a-b}", Error::BadVariableName),
        ("echo \\", Error::TrailingBackslash),
        ("ls |", Error::NothingAfter("|")),
        ("ls | ;", Error::NothingAfter("|")),
        ("ls &&", Error::NothingAfter("&&")),
        ("ls ||  ", Error::NothingAfter("||")),
        ("| ls", Error::NothingBefore("|")),
        ("&& ls", Error::NothingBefore("&&")),
        ("; ls", Error::NothingBefore(";")),
        ("ls ;; ls", Error::NothingBefore(";")),
        ("&", Error::NothingBefore("&")),
        ("ls >", Error::MissingFile(">")),
        ("ls > | wc", Error::MissingFile(">")),
        ("ls <", Error::MissingFile("<")),
        ("ls >>;", Error::MissingFile(">>")),
        ("ls 2>&", Error::BadDescriptor(">&")),
        ("ls 2>&x", Error::BadDescriptor(">&")),
        ("ls 99999999999>x", Error::DescriptorTooLarge),
        ("ls >&99999999999", Error::DescriptorTooLarge),
        ("(ls)", Error::Unsupported('(')),
        ("echo `ls`", Error::Unsupported('`')),
    ];
    for (line, error) in cases {
        assert_eq!(parse(line), Err(error.clone()), "{line}");
        assert!(!alloc::format!("{error}").is_empty());
    }
    assert_eq!(Error::UnclosedQuote('\'').to_string(), "missing closing '");
    assert_eq!(Error::MissingFile(">").to_string(), "`>` needs a file name");
}

#[test]
fn random_garbage_never_panics() {
    const ALPHABET: &[char] = &[
        'a', '1', '2', ' ', '\t', '\n', '\'', '"', '\\', '$', '{', '}', '?', '|', '&', ';', '<',
        '>', '#', '(', '`', 'é', '\0',
    ];
    let mut random = XorShift64(0x5eed_1234);
    for _ in 0..50_000 {
        let len = random.below(24);
        let line: String = (0..len)
            .map(|_| ALPHABET[random.below(ALPHABET.len())])
            .collect();
        if let Ok(script) = parse(&line) {
            for item in &script.items {
                assert!(!item.chain.first.commands.is_empty(), "{line:?}");
            }
        }
    }
}

/// Any text survives single quoting (with `'` written as `'\''`), and a
/// random list of such words parses back to exactly those words.
#[test]
fn random_quoted_words_come_back_unchanged() {
    let mut random = XorShift64(0xfeed_beef);
    for _ in 0..5_000 {
        let count = 1 + random.below(5);
        let originals: Vec<String> = (0..count)
            .map(|_| {
                (0..random.below(8))
                    .map(|_| char::from(32 + random.below(95) as u8))
                    .collect()
            })
            .collect();
        let quoted: Vec<String> = originals
            .iter()
            .map(|w| alloc::format!("'{}'", w.replace('\'', "'\\''")))
            .collect();
        let line = quoted.join(" ");
        assert_eq!(words(&line), originals, "{line}");
    }
}
