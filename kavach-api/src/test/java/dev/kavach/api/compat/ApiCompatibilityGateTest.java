package dev.kavach.api.compat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compatibility gate really gates: a copy of kavach-api with one binary-incompatible change (a public
 * method of a stable type made package-private) fails its own {@code verify}, naming the method, while
 * the same change to an {@code @Experimental} type goes unnamed. The unchanged API passing the same gate
 * is the module's own build.
 */
class ApiCompatibilityGateTest {
    @Test
    void aBinaryIncompatibleChangeFailsTheBuild(@TempDir Path copy) throws Exception {
        Path root = Path.of(System.getProperty("kavach.root", "..")).toAbsolutePath().normalize();
        copyTree(root.resolve(".mvn"), copy.resolve(".mvn"));
        Files.copy(root.resolve("mvnw"), copy.resolve("mvnw"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(root.resolve("pom.xml"), copy.resolve("pom.xml"));
        Files.createDirectories(copy.resolve("kavach-api"));
        Files.copy(root.resolve("kavach-api/pom.xml"), copy.resolve("kavach-api/pom.xml"));
        copyTree(root.resolve("kavach-api/src/main"), copy.resolve("kavach-api/src/main"));
        copyTree(root.resolve("kavach-api/src/compat"), copy.resolve("kavach-api/src/compat"));

        Path execResult = copy.resolve("kavach-api/src/main/java/dev/kavach/api/ExecResult.java");
        String source = Files.readString(execResult);
        String broken = source.replace("    public String stdoutText() {", "    String stdoutText() {");
        assertNotEquals(source, broken, "the change this test makes no longer applies: update it");
        Files.writeString(execResult, broken);
        // The same kind of break in an @Experimental type is allowed: the gate must not name it.
        Path policy = copy.resolve("kavach-api/src/main/java/dev/kavach/api/SandboxPolicy.java");
        String policySource = Files.readString(policy);
        String experimentalBreak = policySource.replace("    public SandboxPolicy withCpus(double value) {", "    SandboxPolicy withCpus(double value) {");
        assertNotEquals(policySource, experimentalBreak, "the @Experimental change this test makes no longer applies: update it");
        Files.writeString(policy, experimentalBreak);

        List<String> command = new ArrayList<>(List.of(copy.resolve("mvnw").toString(), "-B", "-ntp", "-q",
                "-f", "kavach-api/pom.xml", "verify", "-DskipTests", "-Dmaven.javadoc.skip=true", "-Dmaven.source.skip=true"));
        // Not offline: on a fresh machine the outer build has not resolved the gate's own dependencies yet
        // (it runs after the tests); what the local repository holds is not fetched again.
        String localRepository = System.getProperty("kavach.maven.repo.local", "");
        if (!localRepository.isEmpty()) {
            command.add("-Dmaven.repo.local=" + localRepository);
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(copy.toFile()).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process maven = builder.start();
        maven.getOutputStream().close();
        String output = new String(maven.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(maven.waitFor(5, TimeUnit.MINUTES), "the nested build did not finish");

        assertNotEquals(0, maven.exitValue(), "the gate let a binary-incompatible change through:\n" + output);
        assertTrue(output.contains("japicmp") && output.contains("stdoutText"),
                "the build failed, but not at the gate naming the changed method:\n" + output);
        assertEquals(-1, output.indexOf("COMPILATION ERROR"), output);
        assertFalse(output.contains("withCpus"), "the gate must leave @Experimental elements out:\n" + output);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
