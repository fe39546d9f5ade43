package dev.kavach.benchmarks;

import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.FileInput;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SandboxSession;
import dev.kavach.backend.sev.VmBackend;
import dev.kavach.backend.sev.VmBackendProvider;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Figure 9 (issue 12): warm guests and sessions of the {@code vm} backend (TCG here).
 * <ul>
 *   <li>{@code vm.warm.true.kavach-vs-agent}: request to result of {@code true} through the backend's
 *       {@code exec} on a warm pooled guest, against the agent's own round trip for that same exec (request sent
 *       to last reply byte, as the session guest measures it): what Kavach adds around the guest. Goal: a median
 *       under 50 ms (2.5 s with a boot per exec).</li>
 *   <li>{@code vm.session.100-execs}: 100 execs of {@code true} in one session (booted beforehand), in all.</li>
 *   <li>{@code vm.session.file-10mib-roundtrip}: put then get of 10 MiB in a session.</li>
 * </ul>
 * Before each warm sample the program waits until the pool's replacement guest is ready: a sample measures a
 * warm exec, never a boot, and no boot runs beside it.
 */
public final class VmSessionFigure {
    private static final Pattern ROUND_TRIP = Pattern.compile("agent round trip ([0-9.]+) ms");
    private static final int MIB = 1024 * 1024;

    private VmSessionFigure() {
    }

    public static void main(String[] args) throws Exception {
        Path resultFile = Path.of(args[0]);
        boolean full = args.length > 1 && args[1].equals("full");
        int warmRounds = full ? 31 : 11;
        int fileRounds = full ? 9 : 5;
        List<Figure> figures = new ArrayList<>();
        Optional<String> missing = missingPrerequisite();
        if (missing.isPresent()) {
            for (String name : List.of("vm.warm.true.kavach-vs-agent", "vm.session.100-execs", "vm.session.file-10mib-roundtrip")) {
                figures.add(Figure.skipped(name, missing.get()));
            }
            FigureFile.write(resultFile, figures);
            return;
        }
        Properties kernel = VmFigure.kernelEnv();
        BackendSettings settings = BackendSettings.of("kavach.backends.vm", Map.of(
                "kernel", kernel.getProperty("KAVACH_GUEST_KERNEL"),
                "modules", kernel.getProperty("KAVACH_GUEST_MODULES"),
                "boot-timeout", "300s",
                "pool.size", "1"));
        Path state = Files.createDirectories(BenchKavach.workDir().resolve("vm-session-state"));
        SandboxPolicy policy = SandboxPolicy.minimal();
        ExecRequest request = ExecRequest.builder("true").policy(policy).timeout(Duration.ofMinutes(1)).build();
        try (VmBackend backend = (VmBackend) new VmBackendProvider().create(new BackendContext("vm", settings, state, "0.1.0"))) {
            backend.start();
            Samples kavachMs = new Samples();
            Samples agentMs = new Samples();
            String accel = "accel unknown";
            for (int round = 0; round < warmRounds; round++) {
                if (!backend.awaitWarmGuests(1, Duration.ofMinutes(5))) {
                    throw new IllegalStateException("no warm guest within 5 minutes");
                }
                long start = System.nanoTime();
                ExecResult result = backend.exec(request);
                kavachMs.add((System.nanoTime() - start) / 1e6);
                VmFigure.require(result);
                agentMs.add(roundTrip(result));
                accel = accel(result);
            }
            figures.add(Figure.compared("vm.warm.true.kavach-vs-agent", "ms", kavachMs.median(), agentMs.median(), Goal.NONE,
                    String.format(Locale.ROOT, "%s; median of %d warm execs, each on a fresh pooled guest (used once); baseline: the agent's own round trip "
                            + "of the same exec", accel, warmRounds)));
            figures.add(Figure.absolute("vm.warm.true.request-to-result", "ms", kavachMs.median(), Goal.valueBelow(50),
                    "request to result of true on a warm vm (a boot per exec took ~2.5 s); min " + Figure.number(kavachMs.min()) + " ms, max "
                            + Figure.number(kavachMs.max()) + " ms"));

            try (SandboxSession session = backend.openSession(policy)) {
                Samples execMs = new Samples();
                long start = System.nanoTime();
                for (int i = 0; i < 100; i++) {
                    long one = System.nanoTime();
                    VmFigure.require(session.exec(request, OutputListener.NONE));
                    execMs.add((System.nanoTime() - one) / 1e6);
                }
                double total = (System.nanoTime() - start) / 1e6;
                figures.add(Figure.absolute("vm.session.100-execs", "ms", total, Goal.NONE, String.format(Locale.ROOT,
                        "100 execs of true in one session (boot excluded): median %.1f ms, first %.1f ms (a fresh guest's first execs pay TCG's "
                                + "translation), last %.1f ms", execMs.median(), execMs.first(), execMs.last())));

                byte[] payload = new byte[10 * MIB];
                new Random(12).nextBytes(payload);
                Samples roundTripMs = new Samples();
                for (int round = 0; round < fileRounds; round++) {
                    long begin = System.nanoTime();
                    session.put(FileInput.of("payload.bin", payload));
                    byte[] back;
                    try (InputStream in = session.get("payload.bin")) {
                        back = in.readAllBytes();
                    }
                    roundTripMs.add((System.nanoTime() - begin) / 1e6);
                    if (!Arrays.equals(back, payload)) {
                        throw new IllegalStateException("the 10 MiB file came back different");
                    }
                }
                figures.add(Figure.absolute("vm.session.file-10mib-roundtrip", "ms", roundTripMs.median(), Goal.NONE, String.format(Locale.ROOT,
                        "put then get of 10 MiB (random bytes, compared), median of %d; %.1f MiB/s each way", fileRounds,
                        20.0 * 1000 / roundTripMs.median())));
            }
        }
        FigureFile.write(resultFile, figures);
    }

    private static double roundTrip(ExecResult result) {
        for (Enforcement e : result.enforcement()) {
            Matcher m = ROUND_TRIP.matcher(e.toString());
            if (m.find()) {
                return Double.parseDouble(m.group(1));
            }
        }
        throw new IllegalStateException("the result reports no agent round trip: " + result.enforcement());
    }

    private static String accel(ExecResult result) {
        return result.enforcement().stream().map(Enforcement::toString).anyMatch(s -> s.contains("virtual machine")) ? "vm session guest" : "?";
    }

    private static Optional<String> missingPrerequisite() {
        Path dir = VmFigure.kernelDir();
        if (!Files.isRegularFile(dir.resolve("kernel.env"))) {
            return Optional.of("no guest kernel in " + dir + " (run .ci/guest-kernel.sh, or set KAVACH_GUEST_KERNEL_DIR)");
        }
        if (!Executables.onPath("qemu-system-x86_64")) {
            return Optional.of("qemu-system-x86_64 not installed (apt-get install -t bookworm-backports qemu-system-x86)");
        }
        if (!Files.isRegularFile(Path.of("/bin/busybox"))) {
            return Optional.of("/bin/busybox missing (apt-get install busybox-static)");
        }
        return Optional.empty();
    }

}
