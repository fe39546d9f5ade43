package dev.kavach.benchmarks;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The leak assertion of the concurrency figure must see what a leaking exec would leave behind. */
class HostResourcesTest {
    @Test
    void aLiveChildAnOpenDescriptorAndATempEntryAreReportedAsLeaks() throws Exception {
        HostResources before = HostResources.snapshot("kavach-bench-test");
        Process child = new ProcessBuilder("sleep", "30").start();
        Path temp = Files.createTempDirectory("kavach-leak-test-");
        try {
            List<String> leaks = before.leakedIn(HostResources.snapshot("kavach-bench-test"));
            String all = String.join("\n", leaks);
            assertTrue(all.contains("child process(es) still alive") && all.contains(Long.toString(child.pid())), all);
            assertTrue(all.contains("more open file descriptor(s)"), all); // the child's three pipes
            assertTrue(all.contains(temp.getFileName().toString()), all);
        } finally {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            child.getInputStream().close();
            child.getErrorStream().close();
            child.getOutputStream().close();
            Files.delete(temp);
        }
    }
}
