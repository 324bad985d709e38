//! `Console::new` rejects layouts that do not fit or make no sense.

use console::{CHAR_HEIGHT, CHAR_WIDTH, Console, Layout, LayoutError, PixelFormat};

fn good() -> Layout {
    Layout {
        width: 3 * CHAR_WIDTH + 1,
        height: 2 * CHAR_HEIGHT + 1,
        stride: 3 * CHAR_WIDTH + 5,
        bytes_per_pixel: 4,
        format: PixelFormat::Bgr,
    }
}

fn try_new(layout: Layout, len: usize) -> Result<(usize, usize), LayoutError> {
    let mut memory = vec![0; len];
    Console::new(&mut memory, layout).map(|c| (c.columns(), c.rows()))
}

fn full_len(layout: &Layout) -> usize {
    layout.stride * layout.height * layout.bytes_per_pixel
}

#[test]
fn a_good_layout_is_accepted() {
    assert_eq!(try_new(good(), full_len(&good())), Ok((3, 2)));
}

#[test]
fn the_last_row_needs_no_stride_padding() {
    let layout = good();
    let exact = full_len(&layout) - (layout.stride - layout.width) * layout.bytes_per_pixel;
    assert_eq!(try_new(layout, exact), Ok((3, 2)));
    assert_eq!(
        try_new(layout, exact - 1),
        Err(LayoutError::BufferTooSmall {
            required: exact,
            actual: exact - 1
        })
    );
}

#[test]
fn pixels_must_hold_their_format() {
    for (format, too_small) in [
        (PixelFormat::Rgb, 2),
        (PixelFormat::Bgr, 2),
        (PixelFormat::Gray, 0),
    ] {
        let layout = Layout {
            format,
            bytes_per_pixel: too_small,
            ..good()
        };
        assert_eq!(
            try_new(layout, 1 << 20),
            Err(LayoutError::BytesPerPixelTooSmall {
                format,
                bytes_per_pixel: too_small
            })
        );
    }
    let gray = Layout {
        format: PixelFormat::Gray,
        bytes_per_pixel: 1,
        ..good()
    };
    assert!(try_new(gray, full_len(&gray)).is_ok());
}

#[test]
fn stride_must_not_be_less_than_width() {
    let layout = Layout {
        stride: good().width - 1,
        ..good()
    };
    let expected = LayoutError::StrideTooSmall {
        stride: layout.stride,
        width: layout.width,
    };
    assert_eq!(try_new(layout, 1 << 20), Err(expected));
}

#[test]
fn the_screen_must_fit_one_cell() {
    for (width, height) in [(CHAR_WIDTH - 1, 100), (100, CHAR_HEIGHT - 1), (0, 0)] {
        let layout = Layout {
            width,
            height,
            stride: 100,
            ..good()
        };
        assert_eq!(
            try_new(layout, 1 << 20),
            Err(LayoutError::ScreenTooSmall { width, height })
        );
    }
    let one_cell = Layout {
        width: CHAR_WIDTH,
        height: CHAR_HEIGHT,
        stride: CHAR_WIDTH,
        ..good()
    };
    assert_eq!(try_new(one_cell, full_len(&one_cell)), Ok((1, 1)));
}

#[test]
fn absurd_sizes_do_not_overflow() {
    let layout = Layout {
        width: usize::MAX / 2,
        height: usize::MAX / 2,
        stride: usize::MAX / 2,
        ..good()
    };
    assert!(matches!(
        try_new(layout, 64),
        Err(LayoutError::BufferTooSmall { .. })
    ));
}

#[test]
fn errors_explain_themselves() {
    let errors = [
        LayoutError::BufferTooSmall {
            required: 10,
            actual: 5,
        },
        LayoutError::BytesPerPixelTooSmall {
            format: PixelFormat::Rgb,
            bytes_per_pixel: 2,
        },
        LayoutError::StrideTooSmall {
            stride: 1,
            width: 2,
        },
        LayoutError::ScreenTooSmall {
            width: 1,
            height: 1,
        },
    ];
    for error in errors {
        let text = error.to_string();
        assert!(text.len() > 10, "{text}");
    }
    assert_eq!(
        errors[0].to_string(),
        "buffer has 5 bytes but the layout needs 10"
    );
}
