package dev.kavach.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The machine a run measured: figures are only comparable with figures from the same kind of machine. */
final class Machine {
    private Machine() {
    }

    static Map<String, String> describe() {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        facts.put("cpu", cpuModel());
        facts.put("kernel", read("/proc/sys/kernel/osrelease"));
        facts.put("os", osName());
        facts.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.home") + ")");
        facts.put("memory", memory());
        facts.put("loadavg", loadAverage());
        return facts;
    }

    /** The 1-minute load average, NaN when unknown. */
    static double load1() {
        try {
            return Double.parseDouble(read("/proc/loadavg").split(" ")[0]);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    static String loadAverage() {
        String text = read("/proc/loadavg");
        String[] parts = text.split(" ");
        return parts.length >= 3 ? parts[0] + " " + parts[1] + " " + parts[2] : text;
    }

    private static String cpuModel() {
        for (String line : read("/proc/cpuinfo").split("\n")) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return "unknown";
    }

    private static String memory() {
        for (String line : read("/proc/meminfo").split("\n")) {
            if (line.startsWith("MemTotal:")) {
                long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                return (kib / 1024 / 1024) + " GiB";
            }
        }
        return "unknown";
    }

    private static String osName() {
        for (String line : read("/etc/os-release").split("\n")) {
            if (line.startsWith("PRETTY_NAME=")) {
                return line.substring(12).replace("\"", "");
            }
        }
        return System.getProperty("os.name");
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
