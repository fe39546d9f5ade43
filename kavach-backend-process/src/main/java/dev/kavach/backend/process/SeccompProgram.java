package dev.kavach.backend.process;

import dev.kavach.api.SeccompProfile;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * A seccomp filter as a classic BPF program, assembled here byte by byte in the {@code struct sock_filter}
 * layout that {@code bwrap --seccomp FD} loads (no libseccomp needed). x86_64 only:
 * <ol>
 * <li>any other architecture (including i386 system calls through {@code int 0x80}) kills the process,
 * because syscall numbers differ per ABI and a deny list for one is a hole in another;</li>
 * <li>x32 system calls (bit 30 set) fail with EPERM, since they would bypass the x86_64 numbers;</li>
 * <li>each denied syscall fails with EPERM;</li>
 * <li>argument checks (both profiles): clone with any namespace flag fails (EPERM), clone3 answers ENOSYS so
 * that libc falls back to clone, whose flags a classic filter can see; socket families other than unix,
 * inet, inet6 and netlink fail with EAFNOSUPPORT (AF_VSOCK above all: vsock is not network-namespaced);
 * the terminal-injection ioctls TIOCSTI and TIOCLINUX fail; personality accepts only the plain Linux
 * personalities (as Docker's profile), not flags such as ADDR_NO_RANDOMIZE or READ_IMPLIES_EXEC.</li>
 * </ol>
 * The lists follow Docker's default profile (what it denies to a container without capabilities) and
 * Flatpak's (namespaces, mount API, keyrings, terminal ioctls, socket families), plus io_uring, which
 * Docker has denied since 2023 for its record of kernel bugs.
 */
final class SeccompProgram {
    static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    static final int X32_SYSCALL_BIT = 0x40000000;
    static final int RET_ALLOW = 0x7fff0000;
    static final int RET_KILL_PROCESS = 0x80000000;
    static final int RET_ERRNO = 0x00050000;
    static final int EPERM = 1;
    static final int ENOSYS = 38;
    static final int EAFNOSUPPORT = 97;

    private static final int LD_W_ABS = 0x20;
    private static final int JEQ_K = 0x15;
    private static final int JGE_K = 0x35;
    private static final int JSET_K = 0x45;
    private static final int RET_K = 0x06;

    /** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME. */
    static final int CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080;

    /** What nothing an untrusted command legitimately does needs, by x86_64 number. */
    static final SortedMap<Integer, String> BASIC_DENY = table(
            101, "ptrace", 103, "syslog", 134, "uselib", 136, "ustat", 139, "sysfs", 153, "vhangup", 154, "modify_ldt",
            155, "pivot_root", 156, "_sysctl", 159, "adjtimex", 161, "chroot",
            163, "acct", 164, "settimeofday", 165, "mount", 166, "umount2", 167, "swapon", 168, "swapoff",
            169, "reboot", 170, "sethostname", 171, "setdomainname", 172, "iopl", 173, "ioperm",
            174, "create_module", 175, "init_module", 176, "delete_module", 177, "get_kernel_syms",
            178, "query_module", 179, "quotactl", 180, "nfsservctl", 212, "lookup_dcookie", 227, "clock_settime",
            237, "mbind", 238, "set_mempolicy", 239, "get_mempolicy",
            246, "kexec_load", 248, "add_key", 249, "request_key", 250, "keyctl", 256, "migrate_pages",
            272, "unshare", 279, "move_pages", 298, "perf_event_open", 300, "fanotify_init", 303, "name_to_handle_at",
            304, "open_by_handle_at", 305, "clock_adjtime", 308, "setns", 310, "process_vm_readv",
            311, "process_vm_writev", 312, "kcmp", 313, "finit_module", 320, "kexec_file_load", 321, "bpf",
            323, "userfaultfd", 425, "io_uring_setup", 426, "io_uring_enter", 427, "io_uring_register",
            428, "open_tree", 429, "move_mount", 430, "fsopen", 431, "fsconfig",
            432, "fsmount", 433, "fspick", 438, "pidfd_getfd", 442, "mount_setattr", 443, "quotactl_fd");

    /** Added by strict. */
    static final SortedMap<Integer, String> STRICT_EXTRA_DENY = table(447, "memfd_secret");

    static final int SYS_IOCTL = 16;
    static final int SYS_SOCKET = 41;
    static final int SYS_CLONE = 56;
    static final int SYS_PERSONALITY = 135;
    static final int SYS_CLONE3 = 435;
    /** AF_UNIX, AF_INET, AF_INET6, AF_NETLINK (libc's getaddrinfo uses netlink). */
    static final List<Integer> SOCKET_FAMILIES = List.of(1, 2, 10, 16);
    static final int AF_VSOCK = 40;
    /** TIOCSTI (push a byte into a terminal's input) and TIOCLINUX (console selection paste). */
    static final List<Integer> DENIED_IOCTLS = List.of(0x5412, 0x541C);
    /** PER_LINUX, PER_LINUX32, UNAME26 variants and the query 0xffffffff: what Docker's profile allows. */
    static final List<Integer> PERSONALITIES = List.of(0x0, 0x8, 0x20000, 0x20008, 0xffffffff);

    private SeccompProgram() {
    }

    /** The filter for {@code profile}; NONE has none. */
    static byte[] forProfile(SeccompProfile profile) {
        requireNonNull(profile, "profile is null");
        return switch (profile) {
            case NONE -> throw new IllegalArgumentException("seccomp profile NONE has no program");
            case BASIC -> assemble(BASIC_DENY);
            case STRICT -> {
                SortedMap<Integer, String> deny = new TreeMap<>(BASIC_DENY);
                deny.putAll(STRICT_EXTRA_DENY);
                yield assemble(deny);
            }
        };
    }

    /** How many syscalls a profile denies outright (for the enforcement note). */
    static int deniedCount(SeccompProfile profile) {
        return profile == SeccompProfile.STRICT ? BASIC_DENY.size() + STRICT_EXTRA_DENY.size() : BASIC_DENY.size();
    }

    private static byte[] assemble(SortedMap<Integer, String> deny) {
        Assembler a = new Assembler();
        a.load(4);                                         // seccomp_data.arch
        a.jump(JEQ_K, AUDIT_ARCH_X86_64, null, "kill");
        a.load(0);                                         // seccomp_data.nr
        a.jump(JGE_K, X32_SYSCALL_BIT, "deny", null);
        a.jump(JEQ_K, SYS_CLONE3, "enosys", null);
        a.jump(JEQ_K, SYS_CLONE, "clone", null);
        a.jump(JEQ_K, SYS_SOCKET, "socket", null);
        a.jump(JEQ_K, SYS_IOCTL, "ioctl", null);
        a.jump(JEQ_K, SYS_PERSONALITY, "personality", null);
        for (int nr : deny.keySet()) {
            a.jump(JEQ_K, nr, "deny", null);
        }
        a.label("allow");
        a.ret(RET_ALLOW);

        a.label("clone");
        a.load(16);                                        // low 32 bits of args[0]: the flags
        a.jump(JSET_K, CLONE_NAMESPACE_FLAGS, "deny", "allow-args");
        a.label("socket");
        a.load(16);                                        // args[0]: the address family
        for (int family : SOCKET_FAMILIES) {
            a.jump(JEQ_K, family, "allow-args", null);
        }
        a.jump(JEQ_K, 0, "eafnosupport", "eafnosupport");
        a.label("ioctl");
        a.load(24);                                        // low 32 bits of args[1]: the kernel reads the request as an int
        for (int request : DENIED_IOCTLS) {
            a.jump(JEQ_K, request, "deny", null);
        }
        a.jump(JEQ_K, 0, "allow-args", "allow-args");
        a.label("personality");
        a.load(16);                                        // args[0], an unsigned int to the kernel
        for (int persona : PERSONALITIES) {
            a.jump(JEQ_K, persona, "allow-args", null);
        }
        a.jump(JEQ_K, 0, "deny", "deny");
        // Classic BPF jumps only forward: the argument checks need their own allow below them.
        a.label("allow-args");
        a.ret(RET_ALLOW);
        a.label("deny");
        a.ret(RET_ERRNO | EPERM);
        a.label("eafnosupport");
        a.ret(RET_ERRNO | EAFNOSUPPORT);
        a.label("enosys");
        a.ret(RET_ERRNO | ENOSYS);
        a.label("kill");
        a.ret(RET_KILL_PROCESS);
        return a.bytes();
    }

    private static SortedMap<Integer, String> table(Object... pairs) {
        SortedMap<Integer, String> map = new TreeMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((Integer) pairs[i], (String) pairs[i + 1]);
        }
        return java.util.Collections.unmodifiableSortedMap(map);
    }

    /** Two-pass assembly: instructions with symbolic jump targets, resolved to 8-bit relative offsets. */
    private static final class Assembler {
        private record Insn(int code, String jt, String jf, int k) {
        }

        private final List<Insn> insns = new ArrayList<>();
        private final Map<String, Integer> labels = new HashMap<>();

        void load(int offset) {
            insns.add(new Insn(LD_W_ABS, null, null, offset));
        }

        void jump(int code, int k, String jt, String jf) {
            insns.add(new Insn(code, jt, jf, k));
        }

        void ret(int value) {
            insns.add(new Insn(RET_K, null, null, value));
        }

        void label(String name) {
            labels.put(name, insns.size());
        }

        byte[] bytes() {
            ByteBuffer out = ByteBuffer.allocate(insns.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < insns.size(); i++) {
                Insn insn = insns.get(i);
                out.putShort((short) insn.code());
                out.put((byte) offset(i, insn.jt()));
                out.put((byte) offset(i, insn.jf()));
                out.putInt(insn.k());
            }
            return out.array();
        }

        private int offset(int from, String label) {
            if (label == null) {
                return 0;
            }
            Integer target = labels.get(label);
            if (target == null) {
                throw new IllegalStateException("undefined label " + label);
            }
            int offset = target - from - 1;
            if (offset < 0 || offset > 255) {
                throw new IllegalStateException("jump to " + label + " out of classic BPF range: " + offset);
            }
            return offset;
        }
    }
}
