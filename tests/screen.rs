//! The screen test: boot the real kernel, take a QEMU screendump, and check that
//! the pixels are exactly what the host-side renderer (the same `console` crate,
//! compiled for the host) draws for the text the kernel printed on serial.

mod common;

use common::{AtPrompt, boot_to_prompt};
use console::{Console, Layout, PixelFormat};
use kestrel::qemu::Firmware;
use kestrel::qmp::Qmp;
use kestrel::{CaptureOptions, ppm};
use std::time::{Duration, Instant};

const GREETING: &str = "Hello World!";

/// Boots the kernel to its prompt, then takes screendumps until the screen is
/// what the host renders for the serial transcript (or the deadline passes).
/// Returns the last transcript and screen.
fn boot_and_screendump(firmware: Firmware) -> (String, ppm::Image) {
    let options = CaptureOptions {
        qmp: true,
        extra: vec![],
    };
    let AtPrompt { session, qmp, .. } = boot_to_prompt(firmware, &options);
    let socket = qmp.unwrap();
    let mut qmp = Qmp::connect(&socket, Duration::from_secs(10)).unwrap();
    let dump = socket.with_file_name("screen.ppm");
    let start = Instant::now();
    loop {
        // Screen first: whatever it shows was sent to serial too by then.
        qmp.screendump(&dump).unwrap();
        let image = ppm::parse(&std::fs::read(&dump).unwrap()).unwrap();
        let serial = session.serial();
        let matches = render_on_host(kernel_output(&serial), &image) == image.rgb;
        if matches || start.elapsed() > Duration::from_secs(10) {
            return (serial, image);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What the kernel printed: the serial transcript from its first line on
/// (before it, the bootloader logs to serial).
fn kernel_output(serial: &str) -> &str {
    let start = serial.find(GREETING).expect("the kernel greeted");
    let line_start = serial[..start].rfind('\n').map_or(0, |i| i + 1);
    &serial[line_start..]
}

/// Renders `text` on the host into an RGB buffer the size of `image`.
fn render_on_host(text: &str, image: &ppm::Image) -> Vec<u8> {
    let layout = Layout {
        width: image.width,
        height: image.height,
        stride: image.width,
        bytes_per_pixel: 3,
        format: PixelFormat::Rgb,
    };
    let mut buffer = vec![0u8; image.width * image.height * 3];
    let mut console = Console::new(&mut buffer, layout).unwrap();
    // The kernel shows its cursor (an underline after the last character).
    console.set_cursor_visible(true);
    console.write_str(text);
    buffer
}

fn check_screen(firmware: Firmware, expected_size: (usize, usize)) {
    let (serial, image) = boot_and_screendump(firmware);
    assert_eq!((image.width, image.height), expected_size);
    let text = kernel_output(&serial);
    assert!(
        text.starts_with(GREETING),
        "greeting is the kernel's first line: {text:?}"
    );
    let expected = render_on_host(text, &image);

    // The greeting's cells: row 0, columns 0..12, compared pixel by pixel.
    let (w, h) = (GREETING.len() * console::CHAR_WIDTH, console::CHAR_HEIGHT);
    let mut foreground = 0;
    for y in 0..h {
        for x in 0..w {
            let i = (y * image.width + x) * 3;
            let want = &expected[i..i + 3];
            assert_eq!(
                &image.rgb[i..i + 3],
                want,
                "greeting pixel ({x}, {y}) differs"
            );
            if want
                != [
                    console::DEFAULT_BG.r,
                    console::DEFAULT_BG.g,
                    console::DEFAULT_BG.b,
                ]
            {
                foreground += 1;
            }
        }
    }
    assert!(
        foreground > 100,
        "the greeting must draw visible glyphs ({foreground} pixels)"
    );

    // And the whole screen: the boot report too.
    let differing = differing_pixels(&image.rgb, &expected);
    assert_eq!(
        differing, 0,
        "{differing} pixels differ from the host rendering"
    );
}

#[test]
fn bios_screen_matches_host_rendering() {
    check_screen(Firmware::Bios, (1280, 720));
}

#[test]
fn uefi_screen_matches_host_rendering() {
    check_screen(Firmware::Uefi, (1280, 800));
}

/// Issue 10 §2 on the real screen: a 200-character line, a 60-character one,
/// then Up, Up, Down, Home, `X`. The screen must equal the host rendering of
/// the plain text (the commands, their output, and the recalled line with its
/// X), with no row of A's left over above the last prompt.
#[test]
fn editing_a_recalled_line_leaves_no_stale_row() {
    // The prompt as the shell sends it, colours included.
    const PROMPT: &str = "\x1b[32mkestrel>\x1b[0m ";
    let options = CaptureOptions {
        qmp: true,
        extra: vec![],
    };
    let AtPrompt {
        mut session, qmp, ..
    } = boot_to_prompt(Firmware::Bios, &options);
    let booted = session.serial();
    let long = format!("echo {}", "A".repeat(200));
    let short = format!("echo {}", "B".repeat(60));
    let keys = format!("{long}\r{short}\r\x1b[A\x1b[A\x1b[B\x1b[HX");
    session.write_serial(keys.as_bytes()).unwrap();
    // The last thing the editor sends: the line after the X, and the move
    // back to the X. The screen is drawn before serial, so it is complete.
    let last = format!("X{short}\x1b[{}D", short.len());
    session.wait_for(&last, common::TIMEOUT).unwrap();
    let socket = qmp.unwrap();
    let mut qmp = Qmp::connect(&socket, Duration::from_secs(10)).unwrap();
    let dump = socket.with_file_name("screen.ppm");
    qmp.screendump(&dump).unwrap();
    let image = ppm::parse(&std::fs::read(&dump).unwrap()).unwrap();
    session.kill();

    let column = PROMPT.len() - "\x1b[32m\x1b[0m".len() + 1;
    let plain = format!(
        "{}{long}\n{}\n{PROMPT}{short}\n{}\n{PROMPT}X{short}\r\x1b[{column}C",
        kernel_output(&booted),
        &long[5..],
        &short[5..]
    );
    let expected = render_on_host(&plain, &image);
    let differing = differing_pixels(&image.rgb, &expected);
    assert_eq!(
        differing, 0,
        "{differing} pixels differ from the plain text"
    );
}

/// How many RGB pixels of two same-sized screens differ.
fn differing_pixels(screen: &[u8], expected: &[u8]) -> usize {
    screen
        .chunks(3)
        .zip(expected.chunks(3))
        .filter(|(a, b)| a != b)
        .count()
}
