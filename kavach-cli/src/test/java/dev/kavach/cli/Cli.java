package dev.kavach.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;

/**
 * Runs {@code kavach} in this JVM with captured stdout and stderr. Every run gets an empty plugins
 * directory and no user configuration unless the test passes its own, so results do not depend on the
 * developer's machine.
 */
final class Cli {
    /** What one run produced. */
    record Result(int exitCode, String stdout, String stderr) {
        Config json() {
            return ConfigFactory.parseString(stdout, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private static final List<String> BUILT_INS_WITH_OPTIONS = List.of("run", "backends", "plugins", "config");

    /** Fails showing the whole text when {@code text} lacks {@code part}. */
    static void assertContains(String text, String part) {
        org.junit.jupiter.api.Assertions.assertTrue(text.contains(part), () -> "expected to contain <" + part + "> but was:\n" + text);
    }

    private final Path workingDirectory;
    private final Map<String, String> environment = new HashMap<>();
    private java.io.InputStream stdin = new ByteArrayInputStream(new byte[0]);
    private String trigger;
    private Callback onTrigger;

    /** Something to do when a run's stdout first contains a text. */
    @FunctionalInterface
    interface Callback {
        void run() throws Exception;
    }

    Cli(Path workingDirectory) {
        this.workingDirectory = workingDirectory;
        environment.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        environment.put("HOME", System.getProperty("user.home"));
    }

    private boolean terminalProgress;

    Cli stdin(String text) {
        stdin = new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** This process's stdin as the CLI sees it, e.g. a pipe a test types into while the command runs. */
    Cli stdin(java.io.InputStream in) {
        stdin = in;
        return this;
    }

    /** Calls {@code callback} (once) as soon as stdout contains {@code text}, while the command still runs. */
    Cli onOutput(String text, Callback callback) {
        trigger = text;
        onTrigger = callback;
        return this;
    }

    /** Draws progress on the captured stderr as on a terminal (runs are otherwise like a pipe: no progress). */
    Cli terminalProgress() {
        terminalProgress = true;
        return this;
    }

    Cli env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    /** Runs {@code kavach args...} with an isolated plugins directory (unless the args set one). */
    Result run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        boolean pluginsGiven = all.stream().anyMatch(a -> a.contains("kavach.plugins.dir"));
        if (!pluginsGiven && !all.isEmpty() && BUILT_INS_WITH_OPTIONS.contains(all.get(0))) {
            // After the command name so that it is parsed by the command's own options.
            all.add(1, "-D");
            all.add(2, "kavach.plugins.dir=" + workingDirectory.resolve("no-plugins"));
        }
        ByteArrayOutputStream out = trigger == null ? new ByteArrayOutputStream() : new WatchedOutput(trigger, onTrigger);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        Invocation invocation = new Invocation(environment, workingDirectory, stdin, new PrintStream(out, true, StandardCharsets.UTF_8),
                errStream, terminalProgress ? new TerminalProgress(errStream, System::nanoTime) : dev.kavach.api.Progress.none());
        int code = Main.run(all.toArray(String[]::new), invocation);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Captured stdout that acts the first time it contains a given text. */
    private static final class WatchedOutput extends ByteArrayOutputStream {
        private final String trigger;
        private final Callback callback;
        private boolean fired;

        WatchedOutput(String trigger, Callback callback) {
            this.trigger = trigger;
            this.callback = callback;
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            super.write(b, off, len);
            if (!fired && toString(StandardCharsets.UTF_8).contains(trigger)) {
                fired = true;
                try {
                    callback.run();
                } catch (Exception e) {
                    throw new IllegalStateException("output callback failed", e);
                }
            }
        }
    }
}
