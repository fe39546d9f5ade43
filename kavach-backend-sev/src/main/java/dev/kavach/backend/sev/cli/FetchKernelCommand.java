package dev.kavach.backend.sev.cli;

import dev.kavach.api.BackendContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code kavach sev fetch-kernel}: puts a Debian guest kernel and its modules in a directory without
 * installing it on the host ({@code apt-get download} + {@code dpkg-deb -x}, as {@code .ci/guest-kernel.sh}
 * does), writes {@code kernel.env} and prints it. The default series, 6.12, is the one a {@code sev} guest
 * needs: configfs-tsm (CONFIG_TSM_REPORTS), sev-guest and configfs, as {@code .ko.xz} modules that Kavach
 * decompresses when it builds the guest image. Series 6.1 keeps serving the {@code vm} backend. Progress
 * goes to stderr on a terminal; elsewhere the command is quiet unless it fails.
 */
@Command(name = "fetch-kernel",
        description = {"Downloads and unpacks a Debian guest kernel and its modules (apt-get download, dpkg-deb -x; no install)"
                + " into DIR and prints their paths as KAVACH_GUEST_KERNEL=... and KAVACH_GUEST_MODULES=....",
                "6.12 (default) can ask for SEV-SNP reports (configfs-tsm, sev-guest); 6.1 serves the vm backend."},
        footer = "Exit: 0 done, 1 a download or unpack failed, 2 a usage error.")
final class FetchKernelCommand extends PluginCommandLine.Subcommand {
    @Option(names = "--series", paramLabel = "6.12|6.1", description = "the kernel series (default 6.12)")
    String seriesName = "6.12";
    @Option(names = "--dir", paramLabel = "DIR", description = "where to unpack (default: the state directory's guest-kernel-<series>)")
    Path dir;
    @Option(names = "--quiet", description = "no progress on stderr, even on a terminal")
    boolean quiet;


    /** A kernel series Kavach knows how to fetch: the package name pattern of Debian 12's generic amd64 flavour. */
    enum Series {
        V6_1("6.1", Pattern.compile("linux-image-6\\.1\\.0-[0-9]+-amd64"), "linux-image-6.1.0-N-amd64"),
        V6_12("6.12", Pattern.compile("linux-image-6\\.12\\.[0-9]+\\+deb12-amd64"), "linux-image-6.12.N+deb12-amd64");

        final String name;
        final Pattern packageName;
        final String shown;

        Series(String name, Pattern packageName, String shown) {
            this.name = name;
            this.packageName = packageName;
            this.shown = shown;
        }

        static Optional<Series> named(String name) {
            return Stream.of(values()).filter(s -> s.name.equals(name)).findFirst();
        }
    }

    private final Path binDir;

    /** @param binDir where apt-cache, apt-get and dpkg-deb are looked up; null for PATH */
    FetchKernelCommand(Path binDir) {
        this.binDir = binDir;
    }

    /** Runs with the arguments after {@code fetch-kernel}. */
    int run(List<String> args, BackendContext context, PrintStream out, PrintStream err) {
        return bind(context, out, err).runAlone("kavach sev fetch-kernel", args);
    }

    @Override
    public Integer call() {
        Series series = Series.named(seriesName).orElseThrow(() -> usage("unknown series '" + seriesName + "': use 6.12 (sev) or 6.1 (vm)"));
        Boolean progress = quiet ? Boolean.FALSE : null;
        Path dir = this.dir;
        if (dir == null) {
            dir = context.stateDir().resolve("guest-kernel-" + series.name);
        }
        boolean show = progress == null ? FetchCertsCommand.onTerminal() : progress;
        try {
            KernelFiles files = fetch(series, dir.toAbsolutePath(), show ? err : null);
            out.println("KAVACH_GUEST_KERNEL=" + files.kernel());
            out.println("KAVACH_GUEST_MODULES=" + files.modules());
            if (show) {
                err.println("set kavach.backends." + (series == Series.V6_1 ? "vm" : "sev") + ".kernel = \"" + files.kernel() + "\"");
            }
            return 0;
        } catch (IOException e) {
            err.println("kavach sev fetch-kernel: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("kavach sev fetch-kernel: interrupted");
            return 1;
        }
    }

    /** The unpacked kernel and its module tree. */
    record KernelFiles(Path kernel, Path modules) {
    }

    /**
     * Fetches the newest kernel of a series into {@code dir}, or finds it there from an earlier run.
     *
     * @param progress where to say what happens, or null to stay quiet
     */
    KernelFiles fetch(Series series, Path dir, PrintStream progress) throws IOException, InterruptedException {
        Optional<KernelFiles> existing = existing(dir);
        if (existing.isPresent()) {
            say(progress, "already unpacked in " + dir);
            return existing.get();
        }
        say(progress, "looking for the newest " + series.shown + " package (apt-cache search)");
        String listing = capture(List.of(tool("apt-cache"), "search", "--names-only", "^" + series.packageName.pattern() + "$"), null,
                "apt-cache search");
        String pkg = newest(series, listing).orElseThrow(() -> new IOException("apt knows no " + series.shown
                + " package: run apt-get update (Debian 12 has 6.12 in bookworm and bookworm-backports)"));
        Files.createDirectories(dir);
        Path work = Files.createTempDirectory(dir, ".download-");
        try {
            // apt-get download drops to the _apt user where it can; that user must be able to write here.
            Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
            say(progress, "downloading " + pkg + " (apt-get download)");
            if (progress != null) {
                runShown(List.of(tool("apt-get"), "download", pkg), work, "apt-get download " + pkg);
            } else {
                capture(List.of(tool("apt-get"), "-q", "download", pkg), work, "apt-get download " + pkg);
            }
            Path deb;
            try (Stream<Path> files = Files.list(work)) {
                deb = files.filter(f -> f.getFileName().toString().endsWith(".deb")).findFirst()
                        .orElseThrow(() -> new IOException("apt-get download " + pkg + " left no .deb file in " + work));
            }
            say(progress, "unpacking " + deb.getFileName() + " into " + dir.resolve("root") + " (dpkg-deb -x)");
            capture(List.of(tool("dpkg-deb"), "-x", deb.toString(), dir.resolve("root").toString()), null, "dpkg-deb -x");
        } finally {
            deleteTree(work);
        }
        String release = pkg.substring("linux-image-".length());
        Path kernel = dir.resolve("root/boot/vmlinuz-" + release);
        Path modules = dir.resolve("root/lib/modules/" + release);
        if (!Files.isDirectory(modules)) {
            modules = dir.resolve("root/usr/lib/modules/" + release);
        }
        if (!Files.isRegularFile(kernel) || !Files.isRegularFile(modules.resolve("modules.order"))) {
            throw new IOException("unexpected layout in " + pkg + ": no " + kernel + " or no " + modules.resolve("modules.order"));
        }
        Files.writeString(dir.resolve("kernel.env"), "KAVACH_GUEST_KERNEL=" + kernel + "\nKAVACH_GUEST_MODULES=" + modules + "\n",
                StandardCharsets.UTF_8);
        say(progress, "done: " + kernel);
        return new KernelFiles(kernel, modules);
    }

    /** The newest package of the series in {@code apt-cache search} output, by Debian-style version order of its numbers. */
    static Optional<String> newest(Series series, String listing) {
        List<String> names = new ArrayList<>();
        for (String line : listing.split("\n")) {
            String name = line.split(" ", 2)[0].trim();
            if (series.packageName.matcher(name).matches()) {
                names.add(name);
            }
        }
        return names.stream().max(Comparator.comparing(FetchKernelCommand::numbers, FetchKernelCommand::compareNumbers));
    }

    private static List<Long> numbers(String name) {
        List<Long> numbers = new ArrayList<>();
        var matcher = Pattern.compile("[0-9]+").matcher(name);
        while (matcher.find()) {
            numbers.add(Long.parseLong(matcher.group()));
        }
        return numbers;
    }

    private static int compareNumbers(List<Long> a, List<Long> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = Long.compare(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static Optional<KernelFiles> existing(Path dir) throws IOException {
        Path env = dir.resolve("kernel.env");
        if (!Files.isRegularFile(env)) {
            return Optional.empty();
        }
        Properties props = new Properties();
        try (var in = Files.newBufferedReader(env)) {
            props.load(in);
        }
        Path kernel = Path.of(props.getProperty("KAVACH_GUEST_KERNEL", ""));
        Path modules = Path.of(props.getProperty("KAVACH_GUEST_MODULES", ""));
        return Files.isRegularFile(kernel) && Files.isRegularFile(modules.resolve("modules.order"))
                ? Optional.of(new KernelFiles(kernel, modules)) : Optional.empty();
    }

    private String tool(String name) {
        return binDir == null ? name : binDir.resolve(name).toString();
    }

    /** Runs a tool quietly; on failure the message carries the end of its output. */
    private static String capture(List<String> argv, Path cwd, String what) throws IOException, InterruptedException {
        Process process = start(new ProcessBuilder(argv).redirectErrorStream(true), cwd, argv);
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IOException(what + " did not finish within 10 minutes");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            String tail = text.length() > 600 ? text.substring(text.length() - 600) : text;
            throw new IOException(what + " failed (status " + process.exitValue() + "): " + tail.strip());
        }
        return text;
    }

    /** Runs a tool with its output on this terminal, so apt's own progress shows. */
    private static void runShown(List<String> argv, Path cwd, String what) throws IOException, InterruptedException {
        Process process = start(new ProcessBuilder(argv).inheritIO(), cwd, argv);
        if (process.waitFor() != 0) {
            throw new IOException(what + " failed (status " + process.exitValue() + "); its messages are above");
        }
    }

    private static Process start(ProcessBuilder builder, Path cwd, List<String> argv) throws IOException {
        if (cwd != null) {
            builder.directory(cwd.toFile());
        }
        try {
            return builder.start();
        } catch (IOException e) {
            throw new IOException(argv.get(0) + " could not be started (" + e.getMessage() + "): fetch-kernel needs apt-get and dpkg-deb, "
                    + "as on Debian and Ubuntu; elsewhere unpack a linux-image-6.12 package by hand and set the kernel path", e);
        }
    }

    private static void say(PrintStream progress, String message) {
        if (progress != null) {
            progress.println("fetch-kernel: " + message);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a leftover download directory is harmless and named as such
        }
    }
}
