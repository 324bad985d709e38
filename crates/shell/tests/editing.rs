//! Editing keys, one behaviour at a time. Every test types through a
//! [`Session`], which also checks after each byte that the model terminal
//! shows exactly the editor's line and cursor.

mod common;

use common::Session;
use shell::{HISTORY_CAPACITY, LINE_CAPACITY, LineEditor, Outcome};

const LEFT: &str = "\x1b[D";
const RIGHT: &str = "\x1b[C";
const UP: &str = "\x1b[A";
const DOWN: &str = "\x1b[B";
const HOME: &str = "\x1b[H";
const END: &str = "\x1b[F";
const DELETE: &str = "\x1b[3~";
const BACKSPACE: &str = "\x7f";

/// Types `keys` into a fresh session and returns it.
fn typed(keys: &[&str]) -> Session {
    let mut session = Session::new();
    keys.iter().for_each(|k| session.type_str(k));
    session
}

fn line_and_cursor(session: &Session) -> (&str, usize) {
    (session.editor.line(), session.editor.cursor())
}

#[test]
fn typing_appends_and_echoes() {
    let mut editor = LineEditor::new();
    let mut echo = String::new();
    for &b in b"ls -l" {
        assert_eq!(editor.feed(b, &mut echo), None);
    }
    assert_eq!(echo, "ls -l");
    assert_eq!((editor.line(), editor.cursor()), ("ls -l", 5));
}

#[test]
fn inserting_in_the_middle_reprints_the_tail() {
    let mut editor = LineEditor::new();
    let mut echo = String::new();
    for &b in b"acd\x1b[D\x1b[Db" {
        editor.feed(b, &mut echo);
    }
    assert_eq!(echo, "acd\x08\x08bcd\x1b[2D");
    assert_eq!(
        line_and_cursor(&typed(&["acd", LEFT, LEFT, "b"])),
        ("abcd", 2)
    );
}

#[test]
fn backspace_and_delete() {
    assert_eq!(line_and_cursor(&typed(&["abc", BACKSPACE])), ("ab", 2));
    assert_eq!(line_and_cursor(&typed(&["abc", "\x08\x08"])), ("a", 1));
    assert_eq!(
        line_and_cursor(&typed(&["abcd", LEFT, LEFT, BACKSPACE])),
        ("acd", 1)
    );
    assert_eq!(
        line_and_cursor(&typed(&["abcd", LEFT, LEFT, DELETE])),
        ("abd", 2)
    );
    // Nothing to remove: nothing happens.
    assert_eq!(line_and_cursor(&typed(&["ab", DELETE])), ("ab", 2));
    assert_eq!(line_and_cursor(&typed(&["ab", HOME, BACKSPACE])), ("ab", 0));
    assert_eq!(line_and_cursor(&typed(&[BACKSPACE, DELETE])), ("", 0));

    let mut editor = LineEditor::new();
    let mut echo = String::new();
    for &b in b"abc\x1b[D\x1b[D\x7f" {
        editor.feed(b, &mut echo);
    }
    assert_eq!(echo, "abc\x08\x08\x08bc\x1b[K\x1b[2D");
}

#[test]
fn moving_the_cursor() {
    assert_eq!(line_and_cursor(&typed(&["abc", LEFT])), ("abc", 2));
    assert_eq!(
        line_and_cursor(&typed(&["abc", LEFT, LEFT, RIGHT])),
        ("abc", 2)
    );
    assert_eq!(line_and_cursor(&typed(&["abc", RIGHT])), ("abc", 3));
    assert_eq!(
        line_and_cursor(&typed(&["ab", LEFT, LEFT, LEFT])),
        ("ab", 0)
    );
    assert_eq!(line_and_cursor(&typed(&["abc", HOME])), ("abc", 0));
    assert_eq!(line_and_cursor(&typed(&["abc", HOME, END])), ("abc", 3));
    // The other spellings of Home and End, and the application-mode arrows.
    assert_eq!(
        line_and_cursor(&typed(&["abc", "\x1b[1~", "x"])),
        ("xabc", 1)
    );
    assert_eq!(
        line_and_cursor(&typed(&["abc", HOME, "\x1b[4~"])),
        ("abc", 3)
    );
    assert_eq!(
        line_and_cursor(&typed(&["abc", "\x1bOD\x1bOH", "\x1bOF"])),
        ("abc", 3)
    );
}

#[test]
fn multi_byte_characters_move_and_delete_as_one() {
    let session = typed(&["aé中ü", LEFT, LEFT, BACKSPACE]);
    assert_eq!(line_and_cursor(&session), ("a中ü", 1));
    let session = typed(&["aé中ü", HOME, RIGHT, DELETE, RIGHT]);
    assert_eq!(line_and_cursor(&session), ("a中ü", 4));
}

#[test]
fn utf8_split_over_feeds_and_mixed_with_garbage() {
    let mut session = Session::new();
    for &b in "é".as_bytes() {
        session.type_bytes(&[b]);
    }
    // A cut-short character, a stray continuation byte, control bytes.
    session.type_bytes(b"\xe4\xb8x\xb8\x00\x01\x07\x1b\x1by");
    assert_eq!(line_and_cursor(&session), ("éxy", 4));
}

#[test]
fn enter_submits_and_crlf_counts_once() {
    let mut session = typed(&["one\r\n", "two\n", "\r\n", "three\r"]);
    assert_eq!(session.submitted, ["one", "two", "", "three"]);
    assert_eq!(session.previous_row(4), "> one");
    assert_eq!(session.previous_row(1), "> three");
    // The submitted line stays readable until the next byte, which starts anew.
    assert_eq!(session.editor.line(), "three");
    session.type_str("\n");
    assert_eq!(session.submitted.len(), 4);
    assert_eq!(line_and_cursor(&session), ("", 0));
    // Enter with the cursor in the middle submits the whole line.
    let session = typed(&["abc", HOME, "\r"]);
    assert_eq!(session.submitted, ["abc"]);
}

#[test]
fn ctrl_c_drops_the_line() {
    let mut session = typed(&["abc", LEFT, LEFT, "\x03"]);
    assert_eq!(session.cancelled, 1);
    assert!(session.submitted.is_empty());
    assert_eq!(session.previous_row(1), "> abc^C");
    assert_eq!(line_and_cursor(&session), ("", 0));
    assert_eq!(session.editor.history().count(), 0);
    session.type_str("d\r");
    assert_eq!(session.submitted, ["d"]);

    let mut editor = LineEditor::new();
    let mut echo = String::new();
    editor.feed(b'x', &mut echo);
    assert_eq!(editor.feed(3, &mut echo), Some(Outcome::Cancelled));
    assert_eq!(echo, "x^C\n");
}

#[test]
fn ctrl_u_erases_the_line() {
    let session = typed(&["abc", LEFT, "\x15"]);
    assert_eq!(line_and_cursor(&session), ("", 0));
    let session = typed(&["abc", "\x15", "d"]);
    assert_eq!(line_and_cursor(&session), ("d", 1));
}

#[test]
fn a_full_line_refuses_more_input_with_a_bell() {
    let mut editor = LineEditor::new();
    let mut echo = String::new();
    for _ in 0..LINE_CAPACITY + 10 {
        editor.feed(b'x', &mut echo);
    }
    assert_eq!(editor.line(), "x".repeat(LINE_CAPACITY));
    assert_eq!(echo, "x".repeat(LINE_CAPACITY) + &"\x07".repeat(10));
    // A 3-byte character does not fit into the last 2 bytes either.
    let mut session = typed(&[&"y".repeat(LINE_CAPACITY - 2), "中", "é"]);
    assert_eq!(session.editor.line().len(), LINE_CAPACITY);
    assert!(session.editor.line().ends_with("yé"));
    session.type_str(BACKSPACE);
    session.type_str("zz!");
    assert!(session.editor.line().ends_with("yzz"));
    assert_eq!(session.editor.line().len(), LINE_CAPACITY);
}

#[test]
fn history_browsing() {
    let mut session = typed(&["one\r", "two\r", "three\r", "dr"]);
    let history: Vec<&str> = session.editor.history().collect();
    assert_eq!(history, ["one", "two", "three"]);
    session.type_str(UP);
    assert_eq!(line_and_cursor(&session), ("three", 5));
    session.type_str(UP);
    session.type_str(UP);
    assert_eq!(session.editor.line(), "one");
    // Up at the oldest entry stays there.
    session.type_str(UP);
    assert_eq!(session.editor.line(), "one");
    session.type_str(DOWN);
    assert_eq!(session.editor.line(), "two");
    session.type_str(DOWN);
    session.type_str(DOWN);
    // Past the newest entry, the draft comes back.
    assert_eq!(line_and_cursor(&session), ("dr", 2));
    session.type_str(DOWN);
    assert_eq!(session.editor.line(), "dr");
}

#[test]
fn a_recalled_line_can_be_edited_and_submitted() {
    let mut session = typed(&[
        "echo hi\r",
        "x",
        UP,
        BACKSPACE,
        BACKSPACE,
        "yo",
        HOME,
        DELETE,
        "E\r",
    ]);
    assert_eq!(session.submitted, ["echo hi", "Echo yo"]);
    let history: Vec<&str> = session.editor.history().collect();
    assert_eq!(history, ["echo hi", "Echo yo"]);
    // The entry itself was not changed by the editing.
    session.type_str(UP);
    session.type_str(UP);
    assert_eq!(session.editor.line(), "echo hi");
    // Submitting ends browsing: Up shows the newest entry again.
    session.type_str("\r");
    session.type_str(UP);
    assert_eq!(session.editor.line(), "echo hi");
}

#[test]
fn empty_and_repeated_lines_are_not_remembered() {
    let session = typed(&["a\r", "a\r", "\r", "b\r", "a\r", UP, "\r"]);
    let history: Vec<&str> = session.editor.history().collect();
    assert_eq!(history, ["a", "b", "a"]);
    assert_eq!(session.submitted, ["a", "a", "", "b", "a", "a"]);
    // Nothing to browse: Up and Down do nothing.
    let session = typed(&["x", UP, DOWN]);
    assert_eq!(line_and_cursor(&session), ("x", 1));
}

#[test]
fn the_history_forgets_the_oldest_lines() {
    let mut session = Session::new();
    for i in 0..HISTORY_CAPACITY + 5 {
        session.type_str(&format!("cmd {i}\r"));
    }
    let history: Vec<String> = session.editor.history().map(String::from).collect();
    let expected: Vec<String> = (5..HISTORY_CAPACITY + 5)
        .map(|i| format!("cmd {i}"))
        .collect();
    assert_eq!(history, expected);
    for _ in 0..HISTORY_CAPACITY + 3 {
        session.type_str(UP);
    }
    assert_eq!(session.editor.line(), "cmd 5");
}

#[test]
fn unknown_sequences_are_ignored() {
    let session = typed(&[
        "a",
        "\x1b[5~",
        "\x1b[Z",
        "\x1b[?1A",
        "\x1bx",
        "\x1b[1;5D",
        "b",
    ]);
    // The lone ESC is dropped and its `x` typed; Ctrl+Left counts as Left.
    assert_eq!(line_and_cursor(&session), ("abx", 2));
}

#[test]
fn tab_inserts_spaces_to_the_next_tab_stop() {
    // The prompt "> " takes 2 columns: after "a" the cursor is in column 3,
    // and the next stop is column 8.
    let session = typed(&["a\t"]);
    assert_eq!(line_and_cursor(&session), ("a     ", 6));
    let session = typed(&["echo\ta\tb"]);
    assert_eq!(session.editor.line(), "echo  a       b");
    // In the middle of the line too; the rest moves along.
    let session = typed(&["ab", LEFT, "\t"]);
    assert_eq!(line_and_cursor(&session), ("a     b", 6));
    // And the words stay apart.
    let mut words = [""; 4];
    let n = shell::split_args("echo  a       b", &mut words).unwrap();
    assert_eq!(&words[..n], ["echo", "a", "b"]);
}

/// A line longer than the editor holds: the characters that do not fit are
/// refused (with a bell each), and Enter reports the line as too long
/// instead of running its beginning. The next line is normal again.
#[test]
fn enter_on_an_overflowed_line_reports_it() {
    let mut editor = LineEditor::new();
    let mut echo = String::new();
    let mut outcomes = Vec::new();
    for &byte in "x".repeat(10_000).as_bytes().iter().chain(b"\recho ok\r") {
        let outcome = editor.feed(byte, &mut echo);
        if let Some(Outcome::TooLong { .. }) = outcome {
            assert_eq!(editor.line(), "x".repeat(LINE_CAPACITY));
        }
        outcomes.extend(outcome);
    }
    assert_eq!(
        outcomes,
        [
            Outcome::TooLong {
                refused: 10_000 - LINE_CAPACITY
            },
            Outcome::Line
        ]
    );
    assert_eq!(editor.line(), "echo ok");
    assert_eq!(editor.history().collect::<Vec<_>>(), ["echo ok"]);
    // Ctrl-U, the history and Ctrl-C start afresh: no report then.
    let mut session = typed(&[&"y".repeat(LINE_CAPACITY + 1), "\x15", "z\r"]);
    assert_eq!((session.too_long, session.submitted.len()), (0, 1));
    session.type_str(&"y".repeat(LINE_CAPACITY + 1));
    session.type_str("\x03\r");
    assert_eq!((session.too_long, session.submitted.len()), (0, 2));
}

#[test]
fn wide_characters_take_two_columns_and_marks_none() {
    let mut editor = LineEditor::new();
    let mut echo = String::new();
    for &b in "a中b".as_bytes().iter().chain(b"\x1b[D\x1b[D") {
        editor.feed(b, &mut echo);
    }
    // Left over `b` is one column, over `中` two.
    assert_eq!(echo, "a中b\x08\x1b[2D");
    // The session's terminal counts the same way, and checks every step.
    let session = typed(&["中😀e\u{301}x", LEFT, LEFT, BACKSPACE]);
    assert_eq!(line_and_cursor(&session), ("中😀\u{301}x", 7));
}

/// Issue 10 §2: editing a line wider than the screen left a stale row. The
/// session checks after every byte that the rows from the prompt on show
/// exactly the prompt and the line, and nothing below.
#[test]
fn recalling_a_shorter_line_erases_the_rows_of_a_longer_one() {
    let long = format!("echo {}", "A".repeat(200));
    let short = format!("echo {}", "B".repeat(60));
    for width in [80, 160, 13] {
        let mut session = Session::with_width(width);
        session.type_str(&format!("{long}\r{short}\r"));
        session.type_str(&[UP, UP, DOWN, HOME, "X", "\r"].concat());
        assert_eq!(
            session.submitted,
            [long.clone(), short.clone(), format!("X{short}")]
        );
        let rows = (2 + short.len() + 1).div_ceil(width);
        // Above the recalled line, the line it came from; no row of A's.
        assert!(session.previous_row(rows).starts_with("> Xecho B"));
        assert!(
            session.previous_row(rows + 1).ends_with('B'),
            "width {width}"
        );
    }
}

/// Every editing key on a line over several rows, each checked by the session.
#[test]
fn editing_across_rows() {
    let mut session = Session::with_width(10);
    session.type_str("abcdefghijklmnopqrstuvwxyz");
    for key in [LEFT, HOME, RIGHT, "1", DELETE, BACKSPACE, END, BACKSPACE] {
        session.type_str(key);
    }
    assert_eq!(line_and_cursor(&session), ("acdefghijklmnopqrstuvwxy", 24));
    // The line ends exactly at the edge: the cursor waits on the next row.
    session.type_str("\x15");
    session.type_str(&"z".repeat(18));
    assert_eq!((session.terminal.row, session.terminal.column), (2, 0));
    session.type_str(BACKSPACE);
    assert_eq!((session.terminal.row, session.terminal.column), (1, 9));
    session.type_str("z\r");
    assert_eq!(session.prompt_row, 2, "no empty row after a full one");
}

/// A message printed while a line is being edited goes on rows of its own,
/// and the line comes back after a new prompt.
#[test]
fn leave_and_redraw_around_a_message() {
    for width in [common::WIDTH, 7] {
        let mut session = Session::with_width(width);
        session.type_str("echo abcdef");
        session.type_str(LEFT);
        session.editor.leave(&mut session.terminal);
        let terminal = &mut session.terminal;
        std::fmt::Write::write_str(terminal, "news\n> ").unwrap();
        session.prompt_row = session.terminal.row;
        session.editor.redraw(&mut session.terminal);
        session.check_screen();
        assert_eq!(session.previous_row(1), "news");
        session.type_str("X\r");
        assert_eq!(session.submitted, ["echo abcdeXf"]);
    }
}
