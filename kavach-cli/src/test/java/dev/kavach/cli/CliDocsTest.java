package dev.kavach.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The completion script and man pages the build ships, generated from the CLI's own picocli model. */
class CliDocsTest {
    @TempDir
    Path dir;

    @Test
    void theCompletionScriptKnowsEverySubcommandAndIsValidBash() throws Exception {
        CliDocs.write(dir, "9.9.9");
        Path script = dir.resolve("completion/kavach.bash");
        String text = Files.readString(script);
        for (String word : List.of("run", "backends", "plugins", "config", "setup", "--backend", "--policy", "--json", "--log-level")) {
            assertTrue(text.contains(word), "the completion script lacks " + word);
        }
        assertTrue(text.contains("complete -F _complete_kavach"), "registers a completion function for kavach");
        assertTrue(text.contains("bashcompinit"), "zsh loads it through bashcompinit");
        Path bash = Path.of("/bin/bash");
        Prerequisites.require(Files.isExecutable(bash), "bash is needed to check the completion script's syntax (apt-get install bash)");
        assertEquals("", run(bash.toString(), "-n", script.toString()), "bash -n accepts the script");
        // Sourced, it completes "kavach ru" to "run" (compopt, which only works inside real completion, complains on stderr).
        String completed = run(bash.toString(), "-c", "source " + script + "; COMP_WORDS=(kavach ru); COMP_CWORD=1; COMP_LINE='kavach ru'; "
                + "COMP_POINT=9; _complete_kavach 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"");
        assertEquals("run", completed.strip());
    }

    @Test
    void zshLoadsTheSameScriptThroughBashcompinit() throws Exception {
        CliDocs.write(dir, "9.9.9");
        Path script = dir.resolve("completion/kavach.bash");
        Path zsh = Path.of("/usr/bin/zsh");
        Prerequisites.require(Files.isExecutable(zsh), "zsh is needed to check that zsh loads the completion script (apt-get install zsh)");
        // -f: no user startup files; HOME points at the test's folder so that compinit writes its dump there.
        ProcessBuilder builder = new ProcessBuilder(zsh.toString(), "-f", "-c", "source \"$1\" && print -r -- \"${_comps[kavach]}\"", "zsh",
                script.toString());
        builder.environment().put("HOME", dir.toString());
        Process process = builder.redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "finished");
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.strip().endsWith("_bash_complete -F _complete_kavach -o default"),
                "zsh registers the script's function for kavach: " + output);
    }

    @Test
    void everyCommandHasAManPageWithItsOptions() throws IOException {
        List<Path> written = CliDocs.write(dir, "9.9.9");
        for (String page : List.of("kavach", "kavach-run", "kavach-backends", "kavach-plugins", "kavach-config", "kavach-setup")) {
            Path file = dir.resolve("man/man1/" + page + ".1");
            assertTrue(written.contains(file), "wrote " + file);
            String text = Files.readString(file);
            assertTrue(text.startsWith(".TH " + page.toUpperCase(java.util.Locale.ROOT) + " 1 \"\" \"kavach 9.9.9\""), text);
            assertTrue(text.contains("\n.SH SYNOPSIS\n"), text);
            assertTrue(text.contains("\n.SH OPTIONS\n"), text);
        }
        String run = Files.readString(dir.resolve("man/man1/kavach-run.1"));
        assertTrue(run.contains("--dry-run") && run.contains("--timeout=DURATION") && run.contains("--log-level=LEVEL"), run);
        String top = Files.readString(dir.resolve("man/man1/kavach.1"));
        assertTrue(top.contains("\n.SH COMMANDS\n") && top.contains("backends") && top.contains("\n.SH EXIT STATUS\n"), top);
    }

    @Test
    void roffRequestsInTextAreEscaped() {
        assertEquals("\\&.hidden", CliDocs.escape(".hidden"));
        assertEquals("\\&'quote", CliDocs.escape("'quote"));
        assertEquals("a\\eb", CliDocs.escape("a\\b"));
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "finished");
        assertEquals(0, process.exitValue(), output);
        return output;
    }
}
