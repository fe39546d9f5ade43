package dev.kavach.backend.sev.guest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * {@code /kavach/drop-exec}: the guest agent's privilege drop, a static x86-64 Linux program with no libc,
 * made here from its machine code so that building the guest image needs no compiler. Its source, with
 * the usage and the records it writes, is {@code guest/drop-exec.S} beside the agent scripts; a test
 * assembles that source and checks it yields exactly {@link #CODE}.
 *
 * <p>Busybox's {@code setpriv} only knows {@code --nnp} and capability sets, and {@code su} keeps the
 * bounding set; this program forks, and in the child joins the task's cgroup, clears supplementary groups,
 * sets gid and uid {@link #TASK_ID}, empties the capability bounding and ambient sets, sets no_new_privs
 * and a parent-death SIGKILL, verifies the bounding set is empty and execs the task. The parent stays root
 * and writes how the child ended ({@code exit N}, {@code signal N}, {@code exec ERRNO}) to a root-only
 * report the task never holds.
 */
public final class DropExecProgram {
    /** The uid and gid the task runs as inside the guest (the agent's {@code TASK_ID}). */
    public static final int TASK_ID = 1000;
    /** Where the image holds it. */
    public static final String PATH = "kavach/drop-exec";

    /** The assembled {@code .text} of {@code guest/drop-exec.S} (GNU as, x86-64); position-independent. */
    static final String CODE = ""
            + "4989e5488d1d5203000041be0b000000b8eaffffff49837d00030f82ae020000b8390000000f05488d1d3903000041be"
            + "0a0000004885c00f88910200000f84a60000004989c4bf06000000488d35f6020000ba06000000b8010000000f05bf06"
            + "000000b8030000000f05bf05000000b8030000000f054883ec104c89e74889e631d24531d2b83d0000000f054883f8fc"
            + "74e8488d1dd802000041be0a0000004885c00f88260200008b042489c183e17f751bc1e80825ff000000488d358d0200"
            + "00ba04000000e81c020000eb1389c8488d357c020000ba06000000e80702000031ffb8e70000000f05bf06000000b803"
            + "0000000f05bf05000000488d3545020000ba02000000b8010000000f05488d1d6702000041be0c0000004885c00f88ab"
            + "010000bf05000000b8030000000f0531ff31f6b8740000000f05488d1d4602000041be0f0000004885c00f887e010000"
            + "bfe8030000bee8030000bae8030000b8770000000f05488d1d2902000041be0f0000004885c00f88520100004531ffbf"
            + "180000004489fe31d24531d24531c0b89d0000000f0541ffc74183ff4072e0bf2f000000be0400000031d24531d24531"
            + "c0b89d0000000f05bfe8030000bee8030000bae8030000b8750000000f05488d1dd001000041be0f0000004885c00f88"
            + "ea000000bf26000000be0100000031d24531d24531c0b89d0000000f05488d1db001000041be090000004885c00f88bb"
            + "000000bf01000000be09000000b89d0000000f054531ffbf170000004489fe31d24531d24531c0b89d0000000f05488d"
            + "1d7801000041be0d0000004883f80175074489f8f7d8eb7641ffc74183ff4072c6bf04000000be02000000ba01000000"
            + "b8480000000f05488d1d4c01000041be0d0000004885c07845498b7d10498d7518498b4500498d54c510b83b0000000f"
            + "05f7d84189c7488d35ab000000ba04000000e830000000bf7e0000004183ff027505bf7f000000b8e70000000f05f7d8"
            + "4889de4489f2e80c000000bf7d000000b8e70000000f054883ec484889e789d1f3a4c6072048ffc74c8d4424404d89c1"
            + "b90a00000031d2f7f180c23049ffc841881085c075ef418a00880748ffc749ffc04d39c872f0c6070a48ffc74889fa48"
            + "29e24889e6bf04000000b8010000000f054883c448c3300a2d313030300a657869747369676e616c657865636572726f"
            + "722075736167656572726f7220666f726b6572726f7220776169746572726f72206367726f75706572726f7220736574"
            + "67726f7570736572726f72207365747265736769646572726f72207365747265737569646572726f72206e6e70657272"
            + "6f7220636170627365746572726f7220636c6f65786563";

    private static final long BASE = 0x400000;
    private static final int ELF_HEADER = 64;
    private static final int PROGRAM_HEADER = 56;

    private DropExecProgram() {
    }

    /** The machine code alone. */
    static byte[] code() {
        return HexFormat.of().parseHex(CODE);
    }

    /**
     * The complete executable: an ELF64 header, one read-and-execute {@code PT_LOAD} segment mapping the
     * whole file at {@code 0x400000}, and the code right after the headers, which is the entry point.
     */
    public static byte[] elf() {
        byte[] code = code();
        int headers = ELF_HEADER + PROGRAM_HEADER;
        ByteBuffer elf = ByteBuffer.allocate(headers + code.length).order(ByteOrder.LITTLE_ENDIAN);
        elf.put(new byte[] {0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* little-endian */, 1 /* version */, 0 /* System V */});
        elf.put(new byte[8]);
        elf.putShort((short) 2);            // e_type: ET_EXEC
        elf.putShort((short) 62);           // e_machine: x86-64
        elf.putInt(1);                      // e_version
        elf.putLong(BASE + headers);        // e_entry
        elf.putLong(ELF_HEADER);            // e_phoff
        elf.putLong(0);                     // e_shoff: no sections
        elf.putInt(0);                      // e_flags
        elf.putShort((short) ELF_HEADER);   // e_ehsize
        elf.putShort((short) PROGRAM_HEADER);
        elf.putShort((short) 1);            // e_phnum
        elf.putShort((short) 64);           // e_shentsize
        elf.putShort((short) 0);            // e_shnum
        elf.putShort((short) 0);            // e_shstrndx
        elf.putInt(1);                      // p_type: PT_LOAD
        elf.putInt(5);                      // p_flags: read + execute
        elf.putLong(0);                     // p_offset
        elf.putLong(BASE);                  // p_vaddr
        elf.putLong(BASE);                  // p_paddr
        elf.putLong(headers + code.length); // p_filesz
        elf.putLong(headers + code.length); // p_memsz
        elf.putLong(0x1000);                // p_align
        elf.put(code);
        return elf.array();
    }
}
