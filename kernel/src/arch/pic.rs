//! The legacy 8259 interrupt controllers: moved out of the way and silenced.
//!
//! The original PC had two 8259 PICs (a master for IRQs 0-7 and a slave for
//! 8-15, chained through the master's IRQ 2). After reset they deliver IRQs on
//! vectors 8-15, the same as CPU exceptions: a timer tick would look like a double
//! fault. We use the APICs instead, but an 8259 left alone may still fire, so we
//! *remap* both to vectors [`BASE`]..[`BASE`]+16 (an initialisation sequence of
//! four "ICW" bytes) and then mask all their inputs. Even masked, an 8259 can
//! report a *spurious* IRQ 7 or 15 (a glitch on a line); landing in our remapped
//! range, those are counted and ignored by the dispatcher.
//!
//! Under UEFI the firmware may have left the 8259s in any state or (on new
//! machines) they may not exist; the same writes are harmless either way.

use x86_64::instructions::port::Port;

/// The first vector the 8259s are remapped to (0xE0-0xEF).
pub const BASE: u8 = 0xE0;

const MASTER_COMMAND: u16 = 0x20;
const MASTER_DATA: u16 = 0x21;
const SLAVE_COMMAND: u16 = 0xA0;
const SLAVE_DATA: u16 = 0xA1;

fn out(port: u16, value: u8) {
    // SAFETY: the 8259 command/data ports and the POST diagnostic port 0x80 (whose
    // write only gives the slow 8259 time to settle) do not touch memory.
    unsafe {
        Port::new(port).write(value);
        Port::<u8>::new(0x80).write(0);
    }
}

/// Remaps both 8259s to [`BASE`] and masks every input.
pub fn remap_and_mask() {
    out(MASTER_COMMAND, 0x11); // ICW1: initialise, ICW4 follows
    out(SLAVE_COMMAND, 0x11);
    out(MASTER_DATA, BASE); // ICW2: vector base
    out(SLAVE_DATA, BASE + 8);
    out(MASTER_DATA, 4); // ICW3: slave on IRQ 2
    out(SLAVE_DATA, 2); //       slave's cascade identity
    out(MASTER_DATA, 0x01); // ICW4: 8086 mode
    out(SLAVE_DATA, 0x01);
    out(MASTER_DATA, 0xFF); // mask everything
    out(SLAVE_DATA, 0xFF);
}

/// Whether `vector` is one the 8259s were remapped to.
pub fn is_remapped_vector(vector: u8) -> bool {
    (BASE..BASE + 16).contains(&vector)
}
