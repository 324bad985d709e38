//! Names for the class codes a listing shows.

/// A short description of a class and subclass (PCI code and ID assignment
/// specification); "other device" for what this table leaves out.
pub fn name(class: u8, subclass: u8) -> &'static str {
    match (class, subclass) {
        (0x00, _) => "unclassified device",
        (0x01, 0x00) => "SCSI storage controller",
        (0x01, 0x01) => "IDE controller",
        (0x01, 0x06) => "SATA controller",
        (0x01, 0x08) => "NVMe controller",
        (0x01, _) => "storage controller",
        (0x02, 0x00) => "Ethernet controller",
        (0x02, _) => "network controller",
        (0x03, 0x00) => "VGA controller",
        (0x03, _) => "display controller",
        (0x04, _) => "multimedia controller",
        (0x05, _) => "memory controller",
        (0x06, 0x00) => "host bridge",
        (0x06, 0x01) => "ISA bridge",
        (0x06, 0x04) => "PCI bridge",
        (0x06, _) => "bridge",
        (0x07, _) => "communication controller",
        (0x08, _) => "system peripheral",
        (0x0C, 0x03) => "USB controller",
        (0x0C, 0x05) => "SMBus controller",
        (0x0C, _) => "serial bus controller",
        (0xFF, _) => "vendor-specific device",
        _ => "other device",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn common_classes() {
        assert_eq!(super::name(1, 0), "SCSI storage controller");
        assert_eq!(super::name(6, 0), "host bridge");
        assert_eq!(super::name(0x42, 7), "other device");
    }
}
