package dev.kavach.api.process;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Sends a signal Java has no API for (SIGSTOP, a whole process group) with the shell's {@code kill}
 * builtin. The script is fixed; process ids travel as separate arguments. One process per call, so
 * callers batch.
 */
final class Signals {
    private static final String SHELL = "/bin/sh";
    private static final String SCRIPT = "kill -s \"$0\" -- \"$@\" 2>/dev/null; exit 0";

    private Signals() {
    }

    /** Signals each pid, in order; pids already gone are skipped. */
    static void send(String signal, Collection<Long> pids) {
        if (pids.isEmpty()) {
            return;
        }
        List<String> targets = new ArrayList<>();
        pids.forEach(pid -> targets.add(Long.toString(pid)));
        run(signal, targets);
    }

    /** Signals every member of process group {@code pgrp} at once. */
    static void sendToGroup(String signal, long pgrp) {
        run(signal, List.of("-" + pgrp));
    }

    private static void run(String signal, List<String> targets) {
        List<String> argv = new ArrayList<>(List.of(SHELL, "-c", SCRIPT, signal));
        argv.addAll(targets);
        try {
            Process kill = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            kill.getOutputStream().close();
            if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + SHELL + " to send SIG" + signal + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
