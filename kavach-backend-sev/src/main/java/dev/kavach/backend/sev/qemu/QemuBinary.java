package dev.kavach.backend.sev.qemu;

import dev.kavach.api.process.HostProbeCache;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds a QEMU binary and asks it what it is: its version and whether it knows {@code sev-snp-guest}. */
public final class QemuBinary {
    /**
     * QEMU's seccomp filter (QEMU 2.11+): no obsolete system calls, no setuid/setgid or capability changes,
     * no fork or exec, no scheduler, affinity or priority changes. A guest that breaks out of device
     * emulation lands in a process that cannot spawn a shell or regain privileges.
     */
    public static final String SANDBOX = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";
    private static final Pattern VERSION = Pattern.compile("version (\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    private QemuBinary() {
    }

    /** The binary as a path: as given when it contains a {@code /}, else looked up on the host PATH. */
    public static Optional<Path> locate(String binary) {
        if (binary.contains("/")) {
            Path path = Path.of(binary);
            return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        String pathEnv = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : pathEnv.split(":")) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, binary);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** {@code {major, minor}} from {@code qemu --version}, e.g. {@code {10, 0}}. */
    public static Optional<int[]> version(Path binary) {
        return selfDescription(List.of(binary.toString(), "--version")).flatMap(text -> {
            Matcher m = VERSION.matcher(text);
            return m.find() ? Optional.of(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))}) : Optional.empty();
        });
    }

    /** Whether this QEMU has the {@code sev-snp-guest} object type (QEMU 9.1+). */
    public static boolean knowsSevSnpGuest(Path binary) {
        return selfDescription(List.of(binary.toString(), "-object", "sev-snp-guest,help")).map(text -> text.contains("kernel-hashes")).orElse(false);
    }

    /**
     * Whether this QEMU takes Kavach's {@code -sandbox} options: QEMU parses them before {@code -version}
     * exits, and refuses unknown ones (pre-2.11) or the whole option (built without seccomp).
     */
    public static boolean acceptsSandbox(Path binary) {
        return exitsZero(List.of(binary.toString(), "-sandbox", SANDBOX, "-version"));
    }

    /** Whether the program exits 0; a yes is remembered across runs ({@link HostProbeCache}), keyed by the binary. */
    private static boolean exitsZero(List<String> argv) {
        return HostProbeCache.ofUser().answer(argv, List.of(Path.of(argv.get(0))),
                () -> runExitsZero(argv) ? Optional.of("exit 0") : Optional.empty()).isPresent();
    }

    private static boolean runExitsZero(List<String> argv) {
        try {
            Process process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            process.getOutputStream().close();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return false;
            }
            return process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs QEMU with {@code args} (no VM starts for help and version queries) and returns stdout and stderr. */
    public static Optional<String> output(List<String> argv) {
        return run(argv).map(Finished::output);
    }

    /**
     * Like {@link #output}, for a program that answers about itself alone (QEMU's help and version queries,
     * setpriv's help): an answer given with exit status 0 is remembered across runs ({@link HostProbeCache}),
     * keyed by the binary's identity, so that probing does not start QEMU on every {@code kavach} call; any
     * other is asked again next time.
     */
    static Optional<String> selfDescription(List<String> argv) {
        AtomicReference<Optional<String>> unremembered = new AtomicReference<>(Optional.empty());
        Optional<String> answer = HostProbeCache.ofUser().answer(argv, List.of(Path.of(argv.get(0))), () -> {
            Optional<Finished> finished = run(argv);
            if (finished.isPresent() && finished.get().status() == 0) {
                return Optional.of(finished.get().output());
            }
            unremembered.set(finished.map(Finished::output));
            return Optional.empty();
        });
        return answer.isPresent() ? answer : unremembered.get();
    }

    private record Finished(int status, String output) {
    }

    private static Optional<Finished> run(List<String> argv) {
        try {
            Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readNBytes(256 * 1024);
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return Optional.empty();
            }
            return Optional.of(new Finished(process.exitValue(), new String(out, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
