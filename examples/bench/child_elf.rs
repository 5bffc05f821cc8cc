//! The benchmark child: a static, libc-free x86_64 executable whose entry
//! point calls `exit_group(0)`, written as bytes into a temporary file.
//!
//! A glibc program would pay ~450 µs at exec on the build machines (CPUID
//! traps before `main`, perf-floors.md fact 1) and hide the spawn method; this
//! one costs only the `execve` itself. No compiler is needed at bench time.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Where the kernel maps the file (above `vm.mmap_min_addr`).
const LOAD_ADDRESS: u64 = 0x40_0000;
const ELF_HEADER_SIZE: u16 = 64;
const PROGRAM_HEADER_SIZE: u16 = 56;
const EM_X86_64: u16 = 62;

/// `xor edi, edi; mov eax, 231 (exit_group); syscall`.
const EXIT_GROUP_0: [u8; 9] = [0x31, 0xff, 0xb8, 0xe7, 0x00, 0x00, 0x00, 0x0f, 0x05];

/// The whole executable: ELF header, one `PT_LOAD` program header mapping
/// the file itself read+execute, then the code.
pub fn exit0_executable() -> Vec<u8> {
    let code_offset = u64::from(ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE);
    let file_size = code_offset + EXIT_GROUP_0.len() as u64;
    let mut elf = Vec::with_capacity(file_size as usize);
    // e_ident: magic, 64-bit, little-endian, version 1, System V ABI, padding.
    elf.extend_from_slice(b"\x7fELF\x02\x01\x01\x00");
    elf.extend_from_slice(&[0; 8]);
    elf.extend_from_slice(&2u16.to_le_bytes()); // e_type: ET_EXEC
    elf.extend_from_slice(&EM_X86_64.to_le_bytes()); // e_machine
    elf.extend_from_slice(&1u32.to_le_bytes()); // e_version
    elf.extend_from_slice(&(LOAD_ADDRESS + code_offset).to_le_bytes()); // e_entry
    elf.extend_from_slice(&u64::from(ELF_HEADER_SIZE).to_le_bytes()); // e_phoff
    elf.extend_from_slice(&0u64.to_le_bytes()); // e_shoff: no sections
    elf.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    elf.extend_from_slice(&ELF_HEADER_SIZE.to_le_bytes()); // e_ehsize
    elf.extend_from_slice(&PROGRAM_HEADER_SIZE.to_le_bytes()); // e_phentsize
    elf.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    elf.extend_from_slice(&[0; 6]); // e_shentsize, e_shnum, e_shstrndx
    elf.extend_from_slice(&1u32.to_le_bytes()); // p_type: PT_LOAD
    elf.extend_from_slice(&5u32.to_le_bytes()); // p_flags: PF_R | PF_X
    elf.extend_from_slice(&0u64.to_le_bytes()); // p_offset
    elf.extend_from_slice(&LOAD_ADDRESS.to_le_bytes()); // p_vaddr
    elf.extend_from_slice(&LOAD_ADDRESS.to_le_bytes()); // p_paddr
    elf.extend_from_slice(&file_size.to_le_bytes()); // p_filesz
    elf.extend_from_slice(&file_size.to_le_bytes()); // p_memsz
    elf.extend_from_slice(&0x1000u64.to_le_bytes()); // p_align
    debug_assert_eq!(elf.len() as u64, code_offset);
    elf.extend_from_slice(&EXIT_GROUP_0);
    elf
}

/// The child program on disk, removed (with its directory) on drop.
pub struct ChildProgram {
    dir: PathBuf,
    path: PathBuf,
    size: usize,
}

impl ChildProgram {
    /// Writes the executable into a fresh temporary directory and checks that
    /// it runs and exits 0.
    pub fn create() -> io::Result<ChildProgram> {
        let dir = std::env::temp_dir().join(format!("process-graph-bench-{}", std::process::id()));
        fs::create_dir(&dir)?;
        let path = dir.join("exit0");
        let bytes = exit0_executable();
        let program = ChildProgram {
            dir,
            path,
            size: bytes.len(),
        };
        // Closed before the first exec: a file still open for writing fails
        // execve with ETXTBSY.
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o755)
            .open(&program.path)?
            .write_all(&bytes)?;
        let status = std::process::Command::new(&program.path).status()?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "the generated child {} ended with {status}, not exit 0",
                program.path.display()
            )));
        }
        Ok(program)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }
}

impl Drop for ChildProgram {
    fn drop(&mut self) {
        // Best effort: a leftover file in the temp directory is harmless.
        let _ = fs::remove_dir_all(&self.dir);
    }
}
