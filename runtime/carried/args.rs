//! The program's arguments, read in place from the initial stack.

/// `argc`, `argv` and `envp` as the kernel passed them.
pub(crate) struct Args {
    argc: usize,
    argv: *const *const u8,
    envp: *const *const u8,
}

impl Args {
    /// # Safety
    ///
    /// `sp` is the initial stack pointer: `argc`, then `argv[argc]`, NULL,
    /// then `envp`, NULL-terminated.
    pub(crate) unsafe fn from_stack(sp: *const usize) -> Args {
        // SAFETY: the layout above.
        unsafe {
            let argc = *sp;
            let argv = sp.add(1).cast::<*const u8>();
            Args {
                argc,
                argv,
                envp: argv.add(argc + 1),
            }
        }
    }

    /// `argv[i]` as a pointer to its NUL-terminated bytes.
    pub(crate) fn ptr(&self, i: usize) -> Option<*const u8> {
        // SAFETY: `i < argc`, so `argv[i]` is a valid pointer.
        (i < self.argc).then(|| unsafe { *self.argv.add(i) })
    }

    /// `argv[i]` without its NUL.
    pub(crate) fn bytes(&self, i: usize) -> Option<&[u8]> {
        let p = self.ptr(i)?;
        let mut len = 0;
        // SAFETY: every argument is NUL-terminated.
        while unsafe { *p.add(len) } != 0 {
            len += 1;
        }
        // SAFETY: `len` bytes from `p` were just read.
        Some(unsafe { core::slice::from_raw_parts(p, len) })
    }

    /// `argv[i]` as a decimal number, optionally negative.
    pub(crate) fn number(&self, i: usize) -> Option<i64> {
        let (negative, digits) = match self.bytes(i)? {
            [b'-', rest @ ..] => (true, rest),
            all => (false, all),
        };
        let value = decimal(digits)?;
        Some(if negative { -value } else { value })
    }

    /// The argument vector from `argv[i]` on, as a NULL-terminated array.
    pub(crate) fn argv_from(&self, i: usize) -> *const *const u8 {
        // SAFETY: `i <= argc`: at most the terminating NULL.
        unsafe { self.argv.add(i.min(self.argc)) }
    }

    pub(crate) fn count(&self) -> usize {
        self.argc
    }

    pub(crate) fn envp(&self) -> *const *const u8 {
        self.envp
    }

    /// Environment entry `index`, NUL included, to write in place: the
    /// strings of the initial stack are ours. `None` past the last entry.
    pub(crate) fn env_mut(&self, index: usize) -> Option<&mut [u8]> {
        for i in 0..=index {
            // SAFETY: `envp` is NULL-terminated; we stop at the NULL.
            if unsafe { *self.envp.add(i) }.is_null() {
                return None;
            }
        }
        // SAFETY: entry `index` exists (checked above) and is a
        // NUL-terminated string on our own stack, which nothing else
        // refers to while the caller writes it.
        unsafe {
            let p = (*self.envp.add(index)).cast_mut();
            let mut len = 0;
            while *p.add(len) != 0 {
                len += 1;
            }
            Some(core::slice::from_raw_parts_mut(p, len + 1))
        }
    }
}

/// `digits` as a decimal number: 1 to 18 ASCII digits, nothing else.
pub(crate) fn decimal(digits: &[u8]) -> Option<i64> {
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut value: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(d - b'0');
    }
    Some(value)
}
