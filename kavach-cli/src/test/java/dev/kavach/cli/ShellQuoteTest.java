package dev.kavach.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A {@code --dry-run} line pasted into a shell gives back exactly the arguments Kavach would pass. */
class ShellQuoteTest {
    @Test
    void leavesPlainWordsAlone() {
        assertEquals("qemu-system-x86_64 -machine q35,confidential-guest-support=sev0 /tmp/a.img",
                ShellQuote.join(List.of("qemu-system-x86_64", "-machine", "q35,confidential-guest-support=sev0", "/tmp/a.img")));
    }

    @Test
    void quotedLineRoundTripsThroughARealShell() throws IOException, InterruptedException {
        List<String> argv = List.of("plain", "two words", "it's", "$HOME", "`id`", "a\"b", "back\\slash", "", "semi;colon", "new\nline", "*", "~");
        String line = ShellQuote.join(argv);
        Process shell = new ProcessBuilder("/bin/sh", "-c", "for a in " + line + "; do printf '%s\\0' \"$a\"; done").start();
        String out = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, shell.waitFor());
        assertEquals(argv, List.of(out.split("\0", -1)).subList(0, argv.size()));
    }
}
