package dev.kavach.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import dev.kavach.core.Kavach;
import dev.kavach.core.KavachOptions;
import dev.kavach.core.Sandbox;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The embedding API's promise for virtual threads, with real sandboxes: 50 execs of the process backend at
 * once, each blocking its own virtual thread in the process and pipe waits, and the same through execAsync.
 * (Lives here because the CLI's tests have the process backend; core's may not depend on a backend.)
 */
class VirtualThreadExecTest {
    private static final int EXECS = 50;

    @Test
    void fiftyProcessExecsOnVirtualThreadsAtOnce() throws Exception {
        try (Kavach kavach = Kavach.create(KavachOptions.builtIn().withOverride("kavach.backend", "process")
                .withOverride("kavach.policy.preset", "minimal"))) {
            Prerequisites.require(kavach.backends().stream().anyMatch(b -> b.id().equals("process") && b.availability().available()),
                    "the process backend available here (bubblewrap 0.8+: run kavach setup)");
            try (Sandbox sandbox = kavach.open()) {
                List<Future<ExecResult>> results = new ArrayList<>();
                try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < EXECS; i++) {
                        String word = "exec-" + i;
                        results.add(threads.submit(() -> sandbox.exec(ExecRequest.of("/bin/sh", "-c", "sleep 0.2; echo " + word))));
                    }
                }
                for (int i = 0; i < EXECS; i++) {
                    ExecResult result = results.get(i).get();
                    assertEquals(Outcome.COMPLETED, result.outcome(), result::toString);
                    assertEquals("exec-" + i + "\n", result.stdoutText());
                }
                List<CompletableFuture<ExecResult>> futures = new ArrayList<>();
                for (int i = 0; i < EXECS; i++) {
                    futures.add(sandbox.execAsync(ExecRequest.of("/bin/echo", "async-" + i)));
                }
                for (int i = 0; i < EXECS; i++) {
                    assertEquals("async-" + i + "\n", futures.get(i).join().stdoutText());
                }
            }
        }
    }
}
