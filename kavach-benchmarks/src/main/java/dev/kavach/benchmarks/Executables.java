package dev.kavach.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a tool a figure needs is installed: looked up on this process's {@code PATH}. */
final class Executables {
    private Executables() {
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
