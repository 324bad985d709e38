//! The parser: tokens to a [`Script`], one grammar rule per function
//! (the grammar is in the crate's documentation). It reads the tokens
//! front to back and never goes back, because one token always tells which
//! rule comes next.

use crate::error::Error;
use crate::lex::{Op, Token, tokens};
use crate::tree::{Chain, Command, Connector, Item, Pipeline, Redirect, Redirection, Script};
use alloc::vec::Vec;
use core::iter::Peekable;
use core::slice::Iter;

type Tokens<'a> = Peekable<Iter<'a, Token>>;

/// Parses one line (or several, separated by newlines) into a script. An
/// empty line, or one with only a comment, is an empty script.
pub fn parse(line: &str) -> Result<Script, Error> {
    let tokens = tokens(line)?;
    let mut tokens = tokens.iter().peekable();
    let mut script = Script::default();
    loop {
        skip_newlines(&mut tokens);
        if tokens.peek().is_none() {
            return Ok(script);
        }
        let chain = chain(&mut tokens)?;
        let background = match tokens.next() {
            None | Some(Token::Op(Op::Semicolon | Op::Newline)) => false,
            Some(Token::Op(Op::Background)) => true,
            Some(other) => return Err(unexpected(other)),
        };
        script.items.push(Item { chain, background });
    }
}

/// Skips empty lines (a `;` with nothing before it is an error instead).
fn skip_newlines(tokens: &mut Tokens) {
    while let Some(Token::Op(Op::Newline)) = tokens.peek() {
        tokens.next();
    }
}

/// `pipeline (('&&' | '||') pipeline)*`
fn chain(tokens: &mut Tokens) -> Result<Chain, Error> {
    let first = pipeline(tokens)?;
    let mut rest = Vec::new();
    while let Some(&&Token::Op(op @ (Op::And | Op::Or))) = tokens.peek() {
        tokens.next();
        let connector = if op == Op::And {
            Connector::And
        } else {
            Connector::Or
        };
        if starts_command(tokens.peek()) {
            rest.push((connector, pipeline(tokens)?));
        } else {
            return Err(Error::NothingAfter(op.text()));
        }
    }
    Ok(Chain { first, rest })
}

/// `command ('|' command)*`
fn pipeline(tokens: &mut Tokens) -> Result<Pipeline, Error> {
    let mut commands = alloc::vec![command(tokens)?];
    while let Some(Token::Op(Op::Pipe)) = tokens.peek() {
        tokens.next();
        if !starts_command(tokens.peek()) {
            return Err(Error::NothingAfter("|"));
        }
        commands.push(command(tokens)?);
    }
    Ok(Pipeline { commands })
}

/// True if `token` can begin a command.
fn starts_command(token: Option<&&Token>) -> bool {
    match token {
        Some(Token::Word(_) | Token::Fd(_)) => true,
        Some(Token::Op(op)) => is_redirect(*op),
        None => false,
    }
}

fn is_redirect(op: Op) -> bool {
    matches!(
        op,
        Op::Less | Op::Great | Op::DoubleGreat | Op::GreatAnd | Op::LessAnd
    )
}

/// `(word | redirection)+`
fn command(tokens: &mut Tokens) -> Result<Command, Error> {
    let mut command = Command::default();
    loop {
        match tokens.peek() {
            Some(Token::Word(word)) => {
                command.words.push(word.clone());
                tokens.next();
            }
            Some(Token::Fd(fd)) => {
                tokens.next();
                let Some(Token::Op(op)) = tokens.next() else {
                    unreachable!("the lexer makes an Fd only before < or >")
                };
                command
                    .redirections
                    .push(redirection(Some(*fd), *op, tokens)?);
            }
            Some(&&Token::Op(op)) if is_redirect(op) => {
                tokens.next();
                command.redirections.push(redirection(None, op, tokens)?);
            }
            Some(Token::Op(op)) if command.words.is_empty() && command.redirections.is_empty() => {
                return Err(Error::NothingBefore(op.text()));
            }
            None if command.words.is_empty() && command.redirections.is_empty() => {
                unreachable!("callers check that a command starts here")
            }
            _ => return Ok(command),
        }
    }
}

/// The rest of a redirection after its operator `op` (and its descriptor
/// `fd`, if one was written).
fn redirection(fd: Option<u32>, op: Op, tokens: &mut Tokens) -> Result<Redirection, Error> {
    let reads = matches!(op, Op::Less | Op::LessAnd);
    let fd = fd.unwrap_or(if reads { 0 } else { 1 });
    let how = match (op, tokens.next()) {
        (Op::GreatAnd | Op::LessAnd, Some(Token::Fd(n))) => Redirect::Duplicate(*n),
        (Op::GreatAnd | Op::LessAnd, Some(Token::Word(word))) => {
            let number = word
                .literal()
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            let number = number.ok_or(Error::BadDescriptor(op.text()))?;
            Redirect::Duplicate(number.parse().map_err(|_| Error::DescriptorTooLarge)?)
        }
        (Op::GreatAnd | Op::LessAnd, _) => return Err(Error::BadDescriptor(op.text())),
        (Op::Less, Some(Token::Word(word))) => Redirect::Read(word.clone()),
        (Op::Great, Some(Token::Word(word))) => Redirect::Write(word.clone()),
        (Op::DoubleGreat, Some(Token::Word(word))) => Redirect::Append(word.clone()),
        _ => return Err(Error::MissingFile(op.text())),
    };
    Ok(Redirection { fd, how })
}

/// The error for a token where it cannot stand.
fn unexpected(token: &Token) -> Error {
    match token {
        Token::Op(op) => Error::NothingBefore(op.text()),
        _ => Error::NothingBefore(";"),
    }
}
