package dev.kavach.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a host process still runs: alive and not a zombie (dead, only not yet reaped by its parent). */
final class KitProcesses {
    private KitProcesses() {
    }

    static boolean running(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(handle.pid()), "stat"));
            char state = stat.substring(stat.lastIndexOf(')') + 2).charAt(0);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }
}
