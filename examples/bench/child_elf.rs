//! The benchmark children: static, libc-free x86_64 executables of a few
//! instructions, written as bytes into a temporary file.
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

/// `mov edi, 1; mov eax, 231 (exit_group); syscall`: a failing check.
const EXIT_GROUP_1: [u8; 12] = [
    0xbf, 0x01, 0x00, 0x00, 0x00, 0xb8, 0xe7, 0x00, 0x00, 0x00, 0x0f, 0x05,
];

/// Writes one byte to fd 3, then sleeps in `pause()` until a signal kills
/// it; if the write fails it exits 1 instead, so a broken fd 3 shows up as
/// an exit rather than a hang.
#[rustfmt::skip]
const MARK_THEN_PAUSE: [u8; 49] = [
    0x6a, 0x21,                   // push '!'
    0xbf, 0x03, 0x00, 0x00, 0x00, // mov edi, 3
    0x48, 0x89, 0xe6,             // mov rsi, rsp
    0xba, 0x01, 0x00, 0x00, 0x00, // mov edx, 1
    0xb8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1 (write)
    0x0f, 0x05,                   // syscall
    0x48, 0x83, 0xf8, 0x01,       // cmp rax, 1
    0x75, 0x09,                   // jne fail
    0xb8, 0x22, 0x00, 0x00, 0x00, // again: mov eax, 34 (pause)
    0x0f, 0x05,                   // syscall
    0xeb, 0xf7,                   // jmp again
    0xbf, 0x01, 0x00, 0x00, 0x00, // fail: mov edi, 1
    0xb8, 0xe7, 0x00, 0x00, 0x00, // mov eax, 231 (exit_group)
    0x0f, 0x05,                   // syscall
];

/// `again: mov eax, 34 (pause); syscall; jmp again`: idle until a signal
/// kills it.
const PAUSE: [u8; 9] = [0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7];

/// `rt_sigaction(SIGTERM, {SIG_IGN}, NULL, 8)`, then `pause()` forever.
#[rustfmt::skip]
const DEAF_THEN_PAUSE: [u8; 40] = [
    0x6a, 0x00,                         // push 0 (mask)
    0x6a, 0x00,                         // push 0 (restorer)
    0x6a, 0x00,                         // push 0 (flags)
    0x6a, 0x01,                         // push 1 (SIG_IGN)
    0xbf, 0x0f, 0x00, 0x00, 0x00,       // mov edi, 15 (SIGTERM)
    0x48, 0x89, 0xe6,                   // mov rsi, rsp
    0x31, 0xd2,                         // xor edx, edx
    0x41, 0xba, 0x08, 0x00, 0x00, 0x00, // mov r10d, 8
    0xb8, 0x0d, 0x00, 0x00, 0x00,       // mov eax, 13 (rt_sigaction)
    0x0f, 0x05,                         // syscall
    0xb8, 0x22, 0x00, 0x00, 0x00,       // again: mov eax, 34 (pause)
    0x0f, 0x05,                         // syscall
    0xeb, 0xf7,                         // jmp again
];

/// [`MARK_THEN_PAUSE`] writing a newline: s6 readiness on fd 3.
const READY_THEN_PAUSE: [u8; 49] = {
    let mut code = MARK_THEN_PAUSE;
    code[1] = b'\n';
    code
};

/// `cat`: copies fd 0 to fd 1 in reads of up to 4 KiB until a read returns
/// 0 or fails, then exits 0 (a short write is not retried: the benchmark's
/// pipelines carry no data, only the EOF).
#[rustfmt::skip]
const CAT: [u8; 51] = [
    0x48, 0x81, 0xec, 0x00, 0x10, 0x00, 0x00, // sub rsp, 4096
    0x31, 0xc0,                               // again: xor eax, eax (read)
    0x31, 0xff,                               // xor edi, edi (fd 0)
    0x48, 0x89, 0xe6,                         // mov rsi, rsp
    0xba, 0x00, 0x10, 0x00, 0x00,             // mov edx, 4096
    0x0f, 0x05,                               // syscall
    0x48, 0x85, 0xc0,                         // test rax, rax
    0x7e, 0x10,                               // jle done
    0x89, 0xc2,                               // mov edx, eax
    0xbf, 0x01, 0x00, 0x00, 0x00,             // mov edi, 1
    0xb8, 0x01, 0x00, 0x00, 0x00,             // mov eax, 1 (write)
    0x0f, 0x05,                               // syscall
    0xeb, 0xdd,                               // jmp again
    0x31, 0xff,                               // done: xor edi, edi
    0xb8, 0xe7, 0x00, 0x00, 0x00,             // mov eax, 231 (exit_group)
    0x0f, 0x05,                               // syscall
];

/// What a child program does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Calls `exit_group(0)`.
    Exit0,
    /// Calls `exit_group(1)`.
    Exit1,
    /// Writes one byte to fd 3, then blocks in `pause()` until killed.
    MarkThenPause,
    /// Copies fd 0 to fd 1 until EOF, then exits 0.
    Cat,
    /// Blocks in `pause()` until killed.
    Pause,
    /// Ignores SIGTERM, then blocks in `pause()` until killed.
    DeafThenPause,
    /// Writes a newline to fd 3 (s6 readiness), then blocks in `pause()`
    /// until killed.
    ReadyThenPause,
}

impl Behaviour {
    fn code(self) -> &'static [u8] {
        match self {
            Behaviour::Exit0 => &EXIT_GROUP_0,
            Behaviour::Exit1 => &EXIT_GROUP_1,
            Behaviour::MarkThenPause => &MARK_THEN_PAUSE,
            Behaviour::Cat => &CAT,
            Behaviour::Pause => &PAUSE,
            Behaviour::DeafThenPause => &DEAF_THEN_PAUSE,
            Behaviour::ReadyThenPause => &READY_THEN_PAUSE,
        }
    }

    /// The code it exits with when run on its own; `None` for one that
    /// waits to be killed.
    fn exit_code(self) -> Option<i32> {
        match self {
            Behaviour::Exit0 | Behaviour::Cat => Some(0),
            Behaviour::Exit1 => Some(1),
            Behaviour::MarkThenPause
            | Behaviour::Pause
            | Behaviour::DeafThenPause
            | Behaviour::ReadyThenPause => None,
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            Behaviour::Exit0 => "exit0",
            Behaviour::Exit1 => "exit1",
            Behaviour::MarkThenPause => "mark-then-pause",
            Behaviour::Cat => "cat",
            Behaviour::Pause => "pause",
            Behaviour::DeafThenPause => "deaf-then-pause",
            Behaviour::ReadyThenPause => "ready-then-pause",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Behaviour::Exit0 => "calls exit_group(0)",
            Behaviour::Exit1 => "calls exit_group(1)",
            Behaviour::MarkThenPause => "writes one byte to fd 3, then pause()s until killed",
            Behaviour::Cat => "copies fd 0 to fd 1 until EOF, then calls exit_group(0)",
            Behaviour::Pause => "pause()s until killed",
            Behaviour::DeafThenPause => "ignores SIGTERM, then pause()s until killed",
            Behaviour::ReadyThenPause => "writes a newline to fd 3, then pause()s until killed",
        }
    }
}

/// The whole executable: ELF header, one `PT_LOAD` program header mapping
/// the file itself read+execute, then `code`.
pub fn executable(code: &[u8]) -> Vec<u8> {
    let code_offset = u64::from(ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE);
    let file_size = code_offset + code.len() as u64;
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
    elf.extend_from_slice(code);
    elf
}

/// Writes the executable of `code` at `path`, a new file.
pub fn write_executable(path: &Path, code: &[u8]) -> io::Result<()> {
    write_file(path, &executable(code))
}

/// Writes `bytes` to the new executable file `path`, closed before its
/// first exec: a file still open for writing fails `execve` with ETXTBSY.
fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o755)
        .open(path)?
        .write_all(bytes)
}

/// The child program on disk, removed (with its directory) on drop.
pub struct ChildProgram {
    dir: PathBuf,
    path: PathBuf,
    size: usize,
    behaviour: Behaviour,
}

impl ChildProgram {
    /// Writes the executable into a fresh temporary directory. An `Exit0`
    /// or `Cat` child is run once (with stdin at /dev/null) and must exit 0; a `MarkThenPause` child needs an
    /// fd 3, so its user checks for the byte it writes.
    pub fn create(behaviour: Behaviour) -> io::Result<ChildProgram> {
        // One directory per program: a run may hold several. The path is
        // as long as it was with one directory (`process-graph-bench-PID`):
        // the runtime keeps a node's path, and `bench hold` counts its bytes.
        let name = behaviour.file_name();
        let dir = std::env::temp_dir().join(format!("pgb-{}-{name}", std::process::id()));
        fs::create_dir(&dir)?;
        let path = dir.join(name);
        let bytes = executable(behaviour.code());
        let program = ChildProgram {
            dir,
            path,
            size: bytes.len(),
            behaviour,
        };
        write_file(&program.path, &bytes)?;
        if let Some(expected) = behaviour.exit_code() {
            let status = std::process::Command::new(&program.path)
                .stdin(std::process::Stdio::null())
                .status()?;
            if status.code() != Some(expected) {
                return Err(io::Error::other(format!(
                    "the generated child {} ended with {status}, not exit {expected}",
                    program.path.display()
                )));
            }
        }
        Ok(program)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the program is, for the header of a run.
    pub fn describe(&self) -> String {
        format!(
            "a {}-byte static child that {}",
            self.size,
            self.behaviour.describe()
        )
    }
}

impl Drop for ChildProgram {
    fn drop(&mut self) {
        // Best effort: a leftover file in the temp directory is harmless.
        let _ = fs::remove_dir_all(&self.dir);
    }
}
