//! A seccomp filter that a test process sets on itself, to see how the
//! runtime does where the kernel refuses a call (an older kernel, or a
//! sandbox's allow-list).

/// Makes the kernel refuse `syscall` (a `libc::SYS_*` number of this
/// machine's own architecture: the filter does not check
/// `seccomp_data.arch`, which only a test's own calls reach) with `errno`, to every thread of this
/// process (`SECCOMP_FILTER_FLAG_TSYNC`) and to every thread and process
/// started from now on: a filter is inherited by `clone` and kept across
/// `execve`. Sets `no_new_privs` first, as a filter set without
/// `CAP_SYS_ADMIN` must. It cannot be undone: call it in a process of its
/// own ([`super::run_ignored_test`]).
pub fn refuse(syscall: libc::c_long, errno: i32) {
    let op = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    const LOAD_NR: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS, offset 0: the syscall number
    const JUMP_IF_EQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const RETURN: u16 = 0x06; // BPF_RET | BPF_K
    const ERRNO: u32 = 0x0005_0000; // SECCOMP_RET_ERRNO
    const ALLOW: u32 = 0x7fff_0000; // SECCOMP_RET_ALLOW
    let filter = [
        op(LOAD_NR, 0, 0, 0),
        op(JUMP_IF_EQ, 0, 1, syscall as u32),
        op(RETURN, 0, 0, ERRNO | errno as u32),
        op(RETURN, 0, 0, ALLOW),
    ];
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr().cast_mut(),
    };
    const SECCOMP_SET_MODE_FILTER: libc::c_long = 1;
    const SECCOMP_FILTER_FLAG_TSYNC: libc::c_long = 1;
    // SAFETY: no new privileges, then the filter above, which the kernel
    // copies before the call returns.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        let set = libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_SET_MODE_FILTER,
            SECCOMP_FILTER_FLAG_TSYNC,
            &program as *const libc::sock_fprog,
        );
        assert_eq!(set, 0, "seccomp: {}", std::io::Error::last_os_error());
    }
}
