package dev.kavach.backend.process;

import dev.kavach.api.SeccompProfile;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs Kavach's BPF programs through a small classic-BPF interpreter written here from the kernel's
 * semantics, so each decision (arch, x32, deny list, argument checks) is checked without a kernel.
 */
class SeccompProgramTest {
    private static final int X86_64 = SeccompProgram.AUDIT_ARCH_X86_64;
    private static final int I386 = 0x40000003;
    private static final int ALLOW = SeccompProgram.RET_ALLOW;
    private static final int EPERM = SeccompProgram.RET_ERRNO | 1;
    private static final int ENOSYS = SeccompProgram.RET_ERRNO | 38;
    private static final int EAFNOSUPPORT = SeccompProgram.RET_ERRNO | 97;
    private static final int KILL = SeccompProgram.RET_KILL_PROCESS;

    /** Evaluates a classic BPF seccomp program for one system call. */
    static int run(byte[] program, int arch, int nr, long arg0) {
        return run(program, arch, nr, arg0, 0);
    }

    static int run(byte[] program, int arch, int nr, long arg0, long arg1) {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, nr).putInt(4, arch).putLong(16, arg0).putLong(24, arg1);
        ByteBuffer code = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        int acc = 0;
        int pc = 0;
        for (int steps = 0; steps < 10_000; steps++) {
            int op = code.getShort(pc * 8) & 0xffff;
            int jt = code.get(pc * 8 + 2) & 0xff;
            int jf = code.get(pc * 8 + 3) & 0xff;
            int k = code.getInt(pc * 8 + 4);
            switch (op) {
                case 0x20 -> { acc = data.getInt(k); pc++; }
                case 0x15 -> pc += 1 + (acc == k ? jt : jf);
                case 0x35 -> pc += 1 + (Integer.compareUnsigned(acc, k) >= 0 ? jt : jf);
                case 0x45 -> pc += 1 + ((acc & k) != 0 ? jt : jf);
                case 0x06 -> { return k; }
                default -> throw new AssertionError("unexpected opcode 0x" + Integer.toHexString(op) + " at " + pc);
            }
        }
        throw new AssertionError("program did not terminate");
    }

    @Test
    void basicAllowsOrdinarySyscallsAndDeniesItsListWithEperm() {
        byte[] basic = SeccompProgram.forProfile(SeccompProfile.BASIC);
        assertEquals(0, basic.length % 8, "whole struct sock_filter entries");
        for (int ordinary : new int[] {0, 1, 2, 3, 9, 56, 57, 59, 60, 231}) {
            assertEquals(ALLOW, run(basic, X86_64, ordinary, 0), "syscall " + ordinary);
        }
        SeccompProgram.BASIC_DENY.forEach((nr, name) -> assertEquals(EPERM, run(basic, X86_64, nr, 0), name));
    }

    /** Issue 9: the default preset's filter closes nested user namespaces, io_uring, AF_VSOCK and terminal injection. */
    @Test
    void basicDeniesNamespacesIoUringVsockTerminalInjectionAndPersonalityFlags() {
        for (SeccompProfile profile : new SeccompProfile[] {SeccompProfile.BASIC, SeccompProfile.STRICT}) {
            byte[] program = SeccompProgram.forProfile(profile);
            assertEquals(EPERM, run(program, X86_64, 272, 0x10000000), profile + ": unshare(CLONE_NEWUSER)");
            assertEquals(EPERM, run(program, X86_64, SeccompProgram.SYS_CLONE, 0x10000000 | 0x11), profile + ": clone(CLONE_NEWUSER)");
            assertEquals(EPERM, run(program, X86_64, SeccompProgram.SYS_CLONE, 0x40000000 | 0x11), profile + ": clone(CLONE_NEWNET)");
            assertEquals(ALLOW, run(program, X86_64, SeccompProgram.SYS_CLONE, 0x003d0f00), profile + ": pthread_create's clone");
            assertEquals(ALLOW, run(program, X86_64, SeccompProgram.SYS_CLONE, 0x01200011), profile + ": fork()");
            assertEquals(ENOSYS, run(program, X86_64, SeccompProgram.SYS_CLONE3, 0), profile + ": clone3 -> libc falls back to clone");
            for (int uring : new int[] {425, 426, 427}) {
                assertEquals(EPERM, run(program, X86_64, uring, 0), profile + ": io_uring " + uring);
            }
            for (int family : SeccompProgram.SOCKET_FAMILIES) {
                assertEquals(ALLOW, run(program, X86_64, SeccompProgram.SYS_SOCKET, family), profile + ": family " + family);
            }
            assertEquals(EAFNOSUPPORT, run(program, X86_64, SeccompProgram.SYS_SOCKET, SeccompProgram.AF_VSOCK), profile + ": AF_VSOCK");
            assertEquals(EAFNOSUPPORT, run(program, X86_64, SeccompProgram.SYS_SOCKET, 17), profile + ": AF_PACKET");
            assertEquals(EAFNOSUPPORT, run(program, X86_64, SeccompProgram.SYS_SOCKET, 38), profile + ": AF_ALG");
            assertEquals(EPERM, run(program, X86_64, SeccompProgram.SYS_IOCTL, 0, 0x5412), profile + ": TIOCSTI");
            assertEquals(EPERM, run(program, X86_64, SeccompProgram.SYS_IOCTL, 0, 0x541C), profile + ": TIOCLINUX");
            assertEquals(EPERM, run(program, X86_64, SeccompProgram.SYS_IOCTL, 0, 0x1_0000_5412L), profile + ": TIOCSTI with high bits set "
                    + "(the kernel reads an int: the high half must not slip past)");
            assertEquals(ALLOW, run(program, X86_64, SeccompProgram.SYS_IOCTL, 0, 0x5401), profile + ": TCGETS");
            assertEquals(ALLOW, run(program, X86_64, SeccompProgram.SYS_PERSONALITY, 0xffffffffL), profile + ": personality query");
            assertEquals(ALLOW, run(program, X86_64, SeccompProgram.SYS_PERSONALITY, 0), profile + ": PER_LINUX");
            assertEquals(EPERM, run(program, X86_64, SeccompProgram.SYS_PERSONALITY, 0x0040000), profile + ": ADDR_NO_RANDOMIZE");
            assertEquals(EPERM, run(program, X86_64, SeccompProgram.SYS_PERSONALITY, 0x0400000), profile + ": READ_IMPLIES_EXEC");
            for (String name : new String[] {"keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "kexec_load",
                    "mount", "fsopen", "open_tree", "setns", "ptrace", "process_vm_readv", "modify_ldt", "chroot"}) {
                assertTrue(SeccompProgram.BASIC_DENY.containsValue(name), "basic denies " + name);
            }
        }
    }

    @Test
    void foreignArchitecturesAreKilledAndX32IsDenied() {
        for (SeccompProfile profile : new SeccompProfile[] {SeccompProfile.BASIC, SeccompProfile.STRICT}) {
            byte[] program = SeccompProgram.forProfile(profile);
            assertEquals(KILL, run(program, I386, 1, 0), "i386 (int 0x80) numbering differs: kill");
            assertEquals(EPERM, run(program, X86_64, SeccompProgram.X32_SYSCALL_BIT | 1, 0), "x32 write");
            assertEquals(EPERM, run(program, X86_64, SeccompProgram.X32_SYSCALL_BIT | 165, 0), "x32 mount");
        }
    }

    @Test
    void strictDeniesEverythingBasicDoesAndMore() {
        byte[] strict = SeccompProgram.forProfile(SeccompProfile.STRICT);
        SeccompProgram.BASIC_DENY.forEach((nr, name) -> assertEquals(EPERM, run(strict, X86_64, nr, 0), name));
        SeccompProgram.STRICT_EXTRA_DENY.forEach((nr, name) -> assertEquals(EPERM, run(strict, X86_64, nr, 0), name));
        assertEquals(ALLOW, run(strict, X86_64, 0, 0), "read");
    }

    @Test
    void noneHasNoProgram() {
        assertThrows(IllegalArgumentException.class, () -> SeccompProgram.forProfile(SeccompProfile.NONE));
    }
}
