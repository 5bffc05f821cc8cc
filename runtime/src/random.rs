//! Names nobody can predict, from the kernel's random source.

use std::io;

use rustix::io::Errno;

/// 128 bits from the kernel's random source, in hex.
pub(crate) fn random_hex() -> io::Result<String> {
    let bytes: [u8; 16] = random_bytes()?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// 32 bits from the kernel's random source.
pub(crate) fn random_u32() -> io::Result<u32> {
    Ok(u32::from_ne_bytes(random_bytes()?))
}

/// `N` bytes from the kernel's random source (`getrandom`).
fn random_bytes<const N: usize>() -> io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    let mut filled = 0;
    while filled < N {
        match rustix::rand::getrandom(&mut bytes[filled..], rustix::rand::GetRandomFlags::empty()) {
            Ok(n) => filled += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(bytes)
}
