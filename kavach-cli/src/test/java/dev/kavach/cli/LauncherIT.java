package dev.kavach.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real {@code ./kavach} launcher and the packaged distribution, run as a user runs them: a new JVM on
 * the module path, with plugins from {@code plugins/}. Runs after {@code package} (failsafe), which built both.
 */
class LauncherIT {
    private static Path repo;
    private static Path dist;
    private static Path archive;

    @TempDir
    Path dir;

    record Run(int exitCode, String stdout, String stderr) {
        Config json() {
            return ConfigFactory.parseString(stdout, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    @BeforeAll
    static void locate() {
        repo = Path.of(System.getProperty("launcher.repo.root", "..")).toAbsolutePath().normalize();
        dist = Path.of(System.getProperty("launcher.dist.dir", "target/kavach-0.1.0")).toAbsolutePath();
        archive = Path.of(System.getProperty("launcher.dist.archive", "target/kavach-0.1.0.tar.gz")).toAbsolutePath();
        Prerequisites.require(Files.isDirectory(repo.resolve("kavach-cli/target/lib")) && Files.isDirectory(dist),
                "the CLI built by `./mvnw package` (kavach-cli/target/lib and the distribution); run the tests with `./mvnw verify`");
    }

    private Run run(Path launcher, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(launcher.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().putAll(env);
        builder.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
        Process process = builder.start();
        process.getOutputStream().close();
        CompletableFuture<String> out = read(process.getInputStream());
        CompletableFuture<String> err = read(process.getErrorStream());
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the launcher finished");
        return new Run(process.exitValue(), out.join(), err.join());
    }

    private static CompletableFuture<String> read(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void runsACommandThroughTheLauncherWithItsExitCodeAndStreams() throws Exception {
        Run result = run(repo.resolve("kavach"), Map.of(), "run", "--", "/bin/sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals(3, result.exitCode(), result::toString);
        assertEquals("out\n", result.stdout(), result::toString);
        assertEquals("err\n", result.stderr(), result::toString);
    }

    @Test
    void trainsAClassDataSharingArchiveInTheBackgroundAndUsesItOnLaterRuns() throws Exception {
        Run first = run(repo.resolve("kavach"), Map.of(), "run", "--", "/bin/echo", "first");
        assertEquals("first\n", first.stdout(), "training leaves the user's output alone: " + first);
        assertEquals("", first.stderr(), first::toString);
        Path cds = dir.resolve("cache/kavach/cds");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!hasArchive(cds) && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        assertTrue(hasArchive(cds), "the background training wrote an archive to " + cds);
        Path classLog = dir.resolve("classes.log");
        Run second = run(repo.resolve("kavach"), Map.of("KAVACH_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog),
                "run", "--", "/bin/echo", "second");
        assertEquals("second\n", second.stdout(), second::toString);
        String log = Files.readString(classLog);
        assertTrue(log.lines().anyMatch(l -> l.contains(" dev.kavach.cli.Main source: shared objects file")),
                "the CLI's classes come from the archive");
    }

    @Test
    void aTrainingRunThatFailsStillLeavesAnArchiveAndAJarNewerThanItMakesTheLauncherTrainAgain() throws Exception {
        // The distribution's launcher and JARs, copied, so that touching a JAR changes nothing another test uses.
        Path copy = dir.resolve("dist");
        for (String part : List.of("bin", "lib")) {
            Files.createDirectories(copy.resolve(part));
            try (var files = Files.list(dist.resolve(part))) {
                for (Path file : files.toList()) {
                    Files.copy(file, copy.resolve(part).resolve(file.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        Files.createDirectories(copy.resolve("plugins"));
        // Every run fails under this configuration, the background training run too: an archive must come of it
        // all the same (before, none did, and every later call started another training JVM).
        Files.writeString(dir.resolve("kavach.conf"), "kavach.backends.process.bwrap = /nonexistent\n");
        Run failing = run(copy.resolve("bin/kavach"), Map.of(), "run", "--", "/bin/true");
        assertEquals(125, failing.exitCode(), failing::toString);
        Path cds = dir.resolve("cache/kavach/cds");
        Path archive = awaitArchiveNewerThan(cds, null);
        java.nio.file.attribute.FileTime made = Files.getLastModifiedTime(archive);

        // A JAR newer than the archive (a rebuild, an upgrade): the launcher trains a new one.
        Thread.sleep(1100); // file times of one second apart at worst
        Path jar;
        try (var jars = Files.list(copy.resolve("lib"))) {
            jar = jars.filter(f -> f.getFileName().toString().startsWith("kavach-core-")).findFirst().orElseThrow();
        }
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
        Files.delete(dir.resolve("kavach.conf"));
        Run afterUpgrade = run(copy.resolve("bin/kavach"), Map.of(), "run", "--", "/bin/echo", "upgraded");
        assertEquals("upgraded\n", afterUpgrade.stdout(), afterUpgrade::toString);
        Path retrained = awaitArchiveNewerThan(cds, made);
        assertTrue(Files.getLastModifiedTime(retrained).compareTo(Files.getLastModifiedTime(jar)) >= 0, "retrained after the JAR changed");
        Path classLog = dir.resolve("classes.log");
        Run later = run(copy.resolve("bin/kavach"), Map.of("KAVACH_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog),
                "run", "--", "/bin/echo", "later");
        assertEquals("later\n", later.stdout(), later::toString);
        assertTrue(Files.readString(classLog).lines().anyMatch(l -> l.contains(" dev.kavach.core.Kavach source: shared objects file")),
                "the new archive is used");
    }

    /** The archive in {@code cds} once it exists (and is newer than {@code than}, when given), waiting for the background training. */
    private static Path awaitArchiveNewerThan(Path cds, java.nio.file.attribute.FileTime than) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(cds)) {
                try (var files = Files.list(cds)) {
                    for (Path file : files.toList()) {
                        String name = file.toString();
                        if ((name.endsWith(".aot") || name.endsWith(".jsa"))
                                && (than == null || Files.getLastModifiedTime(file).compareTo(than) > 0)) {
                            return file;
                        }
                    }
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no archive" + (than == null ? "" : " newer than " + than) + " in " + cds + " after 180 s");
    }

    private static boolean hasArchive(Path cds) throws IOException {
        if (!Files.isDirectory(cds)) {
            return false;
        }
        try (var files = Files.list(cds)) {
            return files.anyMatch(f -> f.toString().endsWith(".aot") || f.toString().endsWith(".jsa"));
        }
    }

    @Test
    void listsTheBuiltInBackendsAndThePluginFromPluginsDir() throws Exception {
        Run result = run(repo.resolve("kavach"), Map.of(), "backends", "--json");
        assertEquals(0, result.exitCode(), result::toString);
        Map<String, Config> byId = result.json().getConfigList("backends").stream().collect(Collectors.toMap(b -> b.getString("id"), b -> b));
        assertTrue(byId.containsKey("process") && byId.containsKey("noop"), result::toString);
        assertEquals("built-in", byId.get("process").getString("source"));
        // A plugin folder: the backend's JAR beside the attestation module and the libraries it bundles.
        Path sevPlugin = repo.resolve("plugins/kavach-backend-sev/kavach-backend-sev-0.1.0.jar");
        Prerequisites.require(Files.exists(sevPlugin), "the SEV plugin folder in plugins/ (the reactor build copies it there: ./mvnw package)");
        assertTrue(byId.containsKey("sev"), () -> "sev from plugins/: " + result);
        assertEquals("PLUGIN", byId.get("sev").getString("origin.kind"));
        assertTrue(byId.get("sev").getString("source").contains("plugins/kavach-backend-sev"), result::toString);
    }

    /**
     * The sev plugin's commands run in the plugin's own module layer, with picocli and jackson-core bundled in its
     * folder while the host's boot layer has them too: help, a usage error and JSON output all work.
     */
    @Test
    void theSevPluginsCommandsHaveHelpAndUsageErrorsInTheirModuleLayer() throws Exception {
        Prerequisites.require(Files.exists(repo.resolve("plugins/kavach-backend-sev/picocli-4.7.7.jar")),
                "the SEV plugin folder with its libraries in plugins/ (the reactor build copies it there: ./mvnw package)");
        Run help = run(repo.resolve("kavach"), Map.of(), "attest", "verify", "--help");
        assertEquals(0, help.exitCode(), help::toString);
        assertTrue(help.stdout().startsWith("Usage: kavach attest verify ") && help.stdout().contains("--evidence=FILE"), help::toString);
        Run bogus = run(repo.resolve("kavach"), Map.of(), "sev", "measure", "--bogus");
        assertEquals(2, bogus.exitCode(), bogus::toString);
        assertEquals("kavach sev measure: Unknown option: '--bogus'\nTry 'kavach sev measure --help' for usage.\n", bogus.stderr(), bogus::toString);
        assertEquals("", bogus.stdout());
        Path report = repo.resolve("kavach-attestation-snp/src/test/resources/sev-snp/virtee-sev_milan-vcek-v2/report_milan.bin");
        Run show = run(repo.resolve("kavach"), Map.of(), "attest", "show", "--report", report.toString(), "--json");
        assertEquals(0, show.exitCode(), show::toString);
        assertTrue(show.stdout().startsWith("{\n  \"version\": 2,\n"), show::toString);
    }

    @Test
    void saysWhatToDoWhenThereIsNoJava21() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", dir.resolve("no-java-here") + ":/nonexistent");
        env.put("JAVA_HOME", dir.toString());
        env.put("KAVACH_JVM_DIRS", dir.toString());
        // Without java on PATH the launcher must still need nothing but bash and coreutils' readlink and mkdir.
        Path tools = Files.createDirectories(dir.resolve("no-java-here"));
        for (String tool : List.of("readlink", "mkdir", "bash")) {
            Path real = Files.exists(Path.of("/usr/bin", tool)) ? Path.of("/usr/bin", tool) : Path.of("/bin", tool);
            Path wrapper = Files.writeString(tools.resolve(tool), "#!/bin/sh\nexec " + real + " \"$@\"\n");
            assertTrue(wrapper.toFile().setExecutable(true));
        }
        Run result = run(repo.resolve("kavach"), env, "--version");
        assertEquals(125, result.exitCode(), result::toString);
        assertTrue(result.stderr().contains("Kavach needs Java 21 or newer"), result::toString);
        assertTrue(result.stderr().contains("fix: install a JDK 21+"), result::toString);
        assertEquals("", result.stdout());
    }

    @Test
    void theDistributionRunsFromAnywhereWithItsOwnPluginsAndConfig() throws Exception {
        Path launcher = dist.resolve("bin/kavach");
        assertTrue(Files.getPosixFilePermissions(launcher).contains(PosixFilePermission.OWNER_EXECUTE));
        assertTrue(Files.exists(dist.resolve("conf/kavach.conf")));
        assertTrue(Files.isDirectory(dist.resolve("plugins")));
        Run result = run(launcher, Map.of(), "run", "--", "/bin/echo", "from the distribution");
        assertEquals(0, result.exitCode(), result::toString);
        assertEquals("from the distribution\n", result.stdout());
        Run config = run(launcher, Map.of(), "config");
        assertTrue(config.stdout().contains(dist.resolve("plugins").toString()), () -> "plugins dir is the distribution's: " + config);
    }

    /** A checkout whose CLI is not built yet, with a stand-in for ./mvnw that prints what Maven's batch mode does. */
    private Path unbuiltCheckout() throws IOException {
        Path checkout = Files.createDirectories(dir.resolve("checkout"));
        Files.copy(repo.resolve("kavach"), checkout.resolve("kavach"));
        Path mvnw = Files.writeString(checkout.resolve("mvnw"), """
                #!/bin/sh
                case " $* " in *" -q "*) quiet=yes ;; esac
                if [ -z "$quiet" ]; then
                  echo "[INFO] Scanning for projects..."
                  echo "[INFO] Building Kavach API 0.1.0                                    [1/2]"
                  echo "[INFO] Building Kavach CLI 0.1.0                                    [2/2]"
                fi
                mkdir -p kavach-cli/target/lib && : > kavach-cli/target/kavach-cli-0.1.0.jar
                """);
        assertTrue(mvnw.toFile().setExecutable(true) && checkout.resolve("kavach").toFile().setExecutable(true));
        return checkout;
    }

    @Test
    void theFirstBuildShowsProgressOnATerminalAndNothingElsewhere() throws Exception {
        Run quiet = run(unbuiltCheckout().resolve("kavach"), Map.of("KAVACH_CDS", "off"), "--version");
        assertTrue(quiet.stderr().contains("the CLI is not built yet; building it first"), quiet::toString);
        assertFalse(quiet.stderr().contains("[1/2]") || quiet.stderr().contains("\r"), () -> "no progress off a terminal: " + quiet);

        Path script = Path.of("/usr/bin/script");
        Prerequisites.require(Files.isExecutable(script), "util-linux's script(1), to give the launcher a terminal (apt-get install bsdutils)");
        deleteTree(dir.resolve("checkout"));
        Path launcher = unbuiltCheckout().resolve("kavach");
        // script(1) runs the launcher on a pseudo-terminal, so its stderr is a terminal.
        Run onTerminal = run(script, Map.of("KAVACH_CDS", "off"), "-qec", launcher + " --version", "/dev/null");
        String shown = onTerminal.stdout();
        assertTrue(shown.contains("\r\033[Kkavach: building Kavach API 0.1.0 [1/2] ("), () -> "progress per module: " + onTerminal);
        assertTrue(shown.contains("\r\033[Kkavach: building Kavach CLI 0.1.0 [2/2] ("), () -> "progress per module: " + onTerminal);
        assertFalse(shown.contains("[INFO]"), () -> "Maven's log stays aside: " + onTerminal);
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** Debug logs go to stderr: stdout holds exactly the JSON result. */
    @Test
    void debugLogsNeverReachStdout() throws Exception {
        for (String[] args : List.of(new String[] {"--log-level", "debug", "run", "--json", "--backend", "noop", "--", "true"},
                new String[] {"-v", "run", "--json", "--backend", "noop", "--", "true"},
                new String[] {"run", "--log-level", "trace", "--json", "--", "/bin/echo", "hi"})) {
            Run result = run(repo.resolve("kavach"), Map.of("KAVACH_CDS", "off"), args);
            assertTrue(result.stderr().contains("[DEBUG]"), () -> "debug logs on stderr: " + result);
            assertEquals(1, result.stdout().lines().count(), () -> "one line of JSON on stdout: " + result);
            Config json = result.json();
            assertTrue(json.hasPath("exit_code") || json.hasPath("error"), result::toString);
            assertFalse(result.stdout().contains("DEBUG") || result.stdout().contains("TRACE"), result::toString);
        }
    }

    @Test
    void theArchiveHoldsTheDistributionWithAnExecutableLauncher() throws Exception {
        Process tar = new ProcessBuilder("tar", "-tvzf", archive.toString()).redirectErrorStream(true).start();
        String listing = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, tar.waitFor(), listing);
        assertTrue(listing.lines().anyMatch(l -> l.startsWith("-rwxr-xr-x") && l.endsWith("kavach-0.1.0/bin/kavach")), listing);
        for (String entry : List.of("kavach-0.1.0/lib/kavach-cli-0.1.0.jar", "kavach-0.1.0/lib/kavach-core-0.1.0.jar",
                "kavach-0.1.0/lib/kavach-backend-process-0.1.0.jar", "kavach-0.1.0/conf/kavach.conf", "kavach-0.1.0/plugins/",
                "kavach-0.1.0/plugins/kavach-backend-sev/kavach-backend-sev-0.1.0.jar",
                "kavach-0.1.0/plugins/kavach-backend-sev/kavach-attestation-snp-0.1.0.jar",
                "kavach-0.1.0/completion/kavach.bash", "kavach-0.1.0/man/man1/kavach.1", "kavach-0.1.0/man/man1/kavach-run.1")) {
            assertTrue(listing.lines().anyMatch(l -> l.endsWith(entry)), () -> entry + " in\n" + listing);
        }
        Set<String> jars = listing.lines().filter(l -> l.contains("/lib/")).map(l -> l.substring(l.lastIndexOf('/') + 1)).collect(Collectors.toSet());
        assertTrue(jars.stream().noneMatch(j -> j.startsWith("kavach-backend-sev") || j.startsWith("kavach-attestation-snp") || j.startsWith("archunit") || j.startsWith("junit")),
                () -> "only runtime JARs in lib/: " + jars);
    }
}
