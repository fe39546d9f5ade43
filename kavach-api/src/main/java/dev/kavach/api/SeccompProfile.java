package dev.kavach.api;

/**
 * Which system calls a sandbox filters. A denied call fails with {@code EPERM} (the program sees an
 * error it can handle, not a crash). Backends without a host syscall filter (VMs, whose guest kernel is
 * the boundary) say so in the result's {@link Enforcement#SECCOMP} note.
 *
 * <p>On x86_64 every profile but {@link #NONE} also kills a process that makes a system call through
 * another ABI (i386's {@code int 0x80}), and refuses x32 system calls with {@code EPERM}: a deny list by
 * syscall number holds for one ABI only.
 *
 * <p>The exact list of each profile is the backend's: the process backend documents its numbers in
 * {@code kavach-backend-process}'s {@code SeccompProgram} ({@code BASIC_DENY}, {@code STRICT_EXTRA_DENY})
 * and lists the count in every result's enforcement note. The categories below are the contract; a
 * backend may deny more within a category, never less.
 */
public enum SeccompProfile {
    /** No syscall filter. */
    NONE,
    /**
     * Denies what no ordinary command needs and what attacks the host kernel or other processes:
     * <ul>
     * <li>tracing and reading other processes: {@code ptrace}, {@code process_vm_readv/writev},
     *     {@code kcmp}, {@code pidfd_getfd}, {@code perf_event_open};</li>
     * <li>kernel modules and kexec: {@code init_module}, {@code finit_module}, {@code delete_module},
     *     {@code kexec_load}, {@code kexec_file_load} and the obsolete module calls;</li>
     * <li>mounting and changing the root: {@code mount}, {@code umount2}, {@code pivot_root}, the new mount
     *     API ({@code fsopen}, {@code fsmount}, {@code fsconfig}, {@code fspick}, {@code open_tree},
     *     {@code move_mount}, {@code mount_setattr}), {@code swapon/swapoff};</li>
     * <li>host-wide state: {@code reboot}, {@code sethostname}, {@code setdomainname}, clock and time
     *     setting ({@code settimeofday}, {@code clock_settime}, {@code clock_adjtime}, {@code adjtimex}),
     *     {@code acct}, {@code quotactl}, {@code syslog}, {@code vhangup}, {@code iopl/ioperm};</li>
     * <li>kernel attack surface: {@code bpf}, {@code userfaultfd}, the keyrings ({@code add_key},
     *     {@code request_key}, {@code keyctl}), {@code fanotify_init}, file handles
     *     ({@code name_to_handle_at}, {@code open_by_handle_at}), NUMA page moves ({@code migrate_pages},
     *     {@code move_pages});</li>
     * <li>joining other namespaces: {@code setns}.</li>
     * </ul>
     */
    BASIC,
    /**
     * {@link #BASIC}, plus:
     * <ul>
     * <li>new namespaces: {@code unshare}, and {@code clone} with any namespace flag; {@code clone3}
     *     answers {@code ENOSYS} so that libc falls back to {@code clone}, whose flags the filter can see;</li>
     * <li>{@code chroot};</li>
     * <li>{@code io_uring_setup/enter/register} and {@code memfd_secret};</li>
     * <li>sockets of any family but {@code AF_UNIX}, {@code AF_INET}, {@code AF_INET6} and
     *     {@code AF_NETLINK} (raw packet, vsock, bluetooth... fail with {@code EPERM}).</li>
     * </ul>
     */
    STRICT
}
