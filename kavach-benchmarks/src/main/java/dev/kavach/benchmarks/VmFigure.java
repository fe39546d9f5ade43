package dev.kavach.benchmarks;

import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.backend.sev.guest.TaskArchive;
import dev.kavach.core.BackendEntry;
import dev.kavach.core.Kavach;
import dev.kavach.core.Sandbox;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Figure 7 (issue 4): {@code true} through the {@code vm} backend (a real Debian kernel and Kavach's
 * initramfs, TCG here) vs the very QEMU command line the backend shows for it
 * ({@code Sandbox.commandLine}), started from {@code bench/qemu-direct.sh} with the same kernel, initramfs
 * and task. Alternating runs, medians. Also the absolute boot-to-result time and how it splits between
 * booting (QEMU start until the guest agent reports ready) and the booted guest (ready until the VM is off),
 * as the backend reports them in the result's enforcement notes.
 */
public final class VmFigure {
    private static final Pattern SPLIT = Pattern.compile("boot (\\d+) ms, exec (\\d+) ms");

    private VmFigure() {
    }

    public static void main(String[] args) throws Exception {
        Path resultFile = Path.of(args[0]);
        boolean full = args.length > 1 && args[1].equals("full");
        int rounds = full ? 9 : 5;
        List<Figure> figures = new ArrayList<>();
        String name = "vm.true.kavach-vs-direct-script";
        Optional<String> missing = missingPrerequisite();
        if (missing.isPresent()) {
            figures.add(Figure.skipped(name, missing.get()));
            FigureFile.write(resultFile, figures);
            return;
        }
        Properties kernel = kernelEnv();
        Map<String, String> overrides = Map.of(
                "kavach.backends.vm.kernel", kernel.getProperty("KAVACH_GUEST_KERNEL"),
                "kavach.backends.vm.modules", kernel.getProperty("KAVACH_GUEST_MODULES"),
                "kavach.backends.vm.boot-timeout", "300s");
        Path script = Path.of(System.getProperty("kbench.root", "."), "bench", "qemu-direct.sh").toAbsolutePath();
        try (Kavach kavach = BenchKavach.load(overrides)) {
            BackendEntry vm = kavach.backends().stream().filter(e -> e.id().equals("vm")).findFirst().orElse(null);
            if (vm == null || !vm.availability().available()) {
                figures.add(Figure.skipped(name, vm == null ? "no vm backend on the module path"
                        : "vm backend unavailable: " + vm.availability().problems()));
                FigureFile.write(resultFile, figures);
                return;
            }
            try (Sandbox sandbox = kavach.open("vm")) {
                ExecRequest request = ExecRequest.of("true").withPolicy(SandboxPolicy.basic().withTimeout(java.time.Duration.ofMinutes(5)));
                List<String> line = sandbox.commandLine(request).orElseThrow();
                byte[] task = TaskArchive.encode(request, null);
                Path work = Files.createDirectories(BenchKavach.workDir().resolve("vm"));
                Path taskFile = work.resolve("task.cpio");
                Files.write(taskFile, task);
                Files.write(work.resolve("qemu-argv.txt"), line); // what the baseline runs, one argument per line, for reproduction

                Samples kavachMs = new Samples();
                Samples directMs = new Samples();
                Samples scriptMs = new Samples();
                Samples bootMs = new Samples();
                Samples guestMs = new Samples();
                Samples outsideMs = new Samples();
                ExecResult warm = sandbox.exec(request); // builds and caches the initramfs and the vmlinux
                require(warm);
                direct(script, work, taskFile, line); // pages the same files in for the baseline
                for (int round = 0; round < rounds; round++) {
                    long start = System.nanoTime();
                    ExecResult result = sandbox.exec(request);
                    double ms = (System.nanoTime() - start) / 1e6;
                    kavachMs.add(ms);
                    require(result);
                    Matcher split = split(result);
                    double boot = Double.parseDouble(split.group(1));
                    double guest = Double.parseDouble(split.group(2));
                    bootMs.add(boot);
                    guestMs.add(guest);
                    outsideMs.add(ms - boot - guest);
                    DirectRun run = direct(script, work, taskFile, line);
                    directMs.add(run.qemuMs());
                    scriptMs.add(run.scriptMs());
                }
                String accel = result(warm);
                figures.add(Figure.compared(name, "ms", kavachMs.median(), scriptMs.median(), Goal.ratioAtMost(1.05),
                        String.format(Locale.ROOT, "%s; median of %d alternating runs; baseline: bench/qemu-direct.sh running Sandbox.commandLine's "
                                + "QEMU argv, socat serving the channels", accel, rounds)));
                figures.add(Figure.compared("vm.true.kavach-vs-qemu-alone", "ms", kavachMs.median(), directMs.median(), Goal.ratioAtMost(1.05),
                        "stricter baseline: QEMU's own wall time inside that script, without socat's start-up"));
                figures.add(Figure.absolute("vm.true.kavach-outside-qemu", "ms", outsideMs.median(), Goal.NONE,
                        "exec time outside QEMU's lifetime (task archive, channel sockets, process start, clean-up): exec minus the backend's boot + exec"));
                double total = bootMs.median() + guestMs.median();
                figures.add(Figure.absolute("vm.true.boot-to-result", "ms", kavachMs.median(), Goal.NONE,
                        String.format(Locale.ROOT, "QEMU start to agent ready %.0f ms, agent ready to VM off %.0f ms (medians)",
                                bootMs.median(), guestMs.median())));
                figures.add(Figure.absolute("vm.true.share-after-agent-ready", "%", 100 * guestMs.median() / total, Goal.NONE,
                        "share of the VM's life spent after the guest agent reported ready (task, result, power-off); the rest is QEMU "
                                + "start, kernel boot and module loading, which the backend does not split further"));
            }
        }
        FigureFile.write(resultFile, figures);
    }

    private static Optional<String> missingPrerequisite() {
        Path dir = kernelDir();
        if (!Files.isRegularFile(dir.resolve("kernel.env"))) {
            return Optional.of("no guest kernel in " + dir + " (run .ci/guest-kernel.sh, or set KAVACH_GUEST_KERNEL_DIR)");
        }
        if (!Executables.onPath("qemu-system-x86_64")) {
            return Optional.of("qemu-system-x86_64 not installed (apt-get install -t bookworm-backports qemu-system-x86)");
        }
        if (!Executables.onPath("socat")) {
            return Optional.of("socat not installed, the direct-QEMU baseline needs it (apt-get install socat)");
        }
        if (!Files.isRegularFile(Path.of("/bin/busybox"))) {
            return Optional.of("/bin/busybox missing (apt-get install busybox-static)");
        }
        return Optional.empty();
    }


    private static Path kernelDir() {
        String env = System.getenv("KAVACH_GUEST_KERNEL_DIR");
        return env == null || env.isBlank() ? Path.of("/var/cache/kavach/guest-kernel") : Path.of(env);
    }

    private static Properties kernelEnv() throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(kernelDir().resolve("kernel.env"), StandardCharsets.UTF_8)) {
            properties.load(in);
        }
        return properties;
    }

    /** Wall times of one direct run: the whole script, and QEMU alone within it. */
    private record DirectRun(double scriptMs, double qemuMs) {
    }

    /** Runs the backend's QEMU command line from the script, with fresh channel sockets. */
    private static DirectRun direct(Path script, Path work, Path taskFile, List<String> line) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(work, "direct-");
        try {
            List<String> argv = new ArrayList<>(List.of("/bin/sh", script.toString(), dir.toString(), taskFile.toString()));
            for (String arg : line) {
                argv.add(arg.replaceAll("path=[^,]*kavach-vm-<exec>", Matcher.quoteReplacement("path=" + dir)));
            }
            ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
            builder.environment().clear(); // as the backend starts QEMU: nothing from the host's environment
            builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
            long start = System.nanoTime();
            Process process = builder.start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("the direct QEMU run did not finish");
            }
            double ms = (System.nanoTime() - start) / 1e6;
            Matcher qemu = Pattern.compile("(?m)^qemu-ns (\\d+)$").matcher(output);
            if (process.exitValue() != 0 || !output.startsWith("exit 0\n") || !qemu.find()) {
                throw new IllegalStateException("the direct QEMU run failed (status " + process.exitValue() + "): " + output);
            }
            return new DirectRun(ms, Long.parseLong(qemu.group(1)) / 1e6);
        } finally {
            DirectoryTree.delete(dir);
        }
    }

    private static void require(ExecResult result) {
        if (!result.succeeded()) {
            throw new IllegalStateException("true failed in the vm: exit " + result.exitCode() + ", " + result.outcome() + " "
                    + result.detail() + " " + result.stderrText());
        }
    }

    private static Matcher split(ExecResult result) {
        for (Enforcement e : result.enforcement()) {
            Matcher m = SPLIT.matcher(e.toString());
            if (m.find()) {
                return m;
            }
        }
        throw new IllegalStateException("the vm result reports no boot/exec split: " + result.enforcement());
    }

    private static String result(ExecResult result) {
        return result.enforcement().stream().map(Enforcement::toString).filter(s -> s.contains("QEMU pid")).findFirst()
                .map(s -> s.contains("TCG") ? "TCG" : s.contains("KVM") ? "KVM" : "accel unknown").orElse("accel unknown");
    }
}
