package dev.kavach.cli;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import dev.kavach.backend.fake.FakeBackendClasses;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dependency rule of DESIGN.md, checked on the compiled classes of every module: {@code api <- core
 * <- cli}, every backend on {@code api} and the libraries in its own plugin folder only, and no cycles.
 * Third parties rely on the first two: a backend compiled against kavach-api (and what it bundles) must
 * link against any Kavach host.
 */
class ArchitectureTest {
    private static JavaClasses kavach;

    @BeforeAll
    static void importKavach() {
        kavach = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.kavach");
        // A rule over no classes passes vacuously: make sure every module was actually imported.
        for (String module : new String[] {"dev.kavach.api", "dev.kavach.core", "dev.kavach.backend.process", "dev.kavach.backend.sev", "dev.kavach.attestation.snp", "dev.kavach.cli"}) {
            assertFalse(kavach.stream().noneMatch(c -> c.getPackageName().startsWith(module)), "no classes imported from " + module);
        }
    }

    @Test
    void apiDependsOnlyOnTheJdk() {
        classes().that().resideInAPackage("dev.kavach.api..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "dev.kavach.api..")
                .check(kavach);
    }

    @Test
    void backendsDependOnlyOnTheApiAndOnLibrariesBundledInTheirOwnPluginFolder() {
        // The sev plugin bundles kavach-attestation-snp (and libraries) in its folder, which only `package` assembles.
        Prerequisites.require(Files.isDirectory(pluginFolder("sev")),
                "the sev plugin built and packaged (./mvnw package builds " + pluginFolder("sev") + ")");
        backendsUseOnlyTheApiAndTheirOwnLibraries(ArchitectureTest::bundledInPluginFolder).check(kavach);
    }

    /**
     * The attestation module is what a verifier depends on without any backend: the JDK, kavach-api's value types
     * and jackson-core (the JSON library it declares), never Kavach's core, CLI or a backend.
     */
    @Test
    void theAttestationModuleDependsOnlyOnTheJdkAndTheApi() {
        classes().that().resideInAPackage("dev.kavach.attestation.snp..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "javax..", "dev.kavach.api..", "dev.kavach.attestation.snp..", "com.fasterxml.jackson.core..")
                .check(kavach);
    }

    @Test
    void theSevPluginFolderBundlesTheAttestationModuleAndNoHostJar() throws IOException {
        Path folder = pluginFolder("sev");
        Prerequisites.require(Files.isDirectory(folder), "the sev plugin built and packaged (./mvnw package builds " + folder + ")");
        try (Stream<Path> files = Files.list(folder)) {
            Set<String> jars = files.map(f -> f.getFileName().toString()).collect(Collectors.toSet());
            assertTrue(jars.contains("kavach-attestation-snp-0.1.0.jar"), () -> "attestation bundled: " + jars);
            assertTrue(jars.stream().noneMatch(j -> j.startsWith("kavach-api") || j.startsWith("kavach-core") || j.startsWith("kavach-cli")
                    || j.startsWith("slf4j")), () -> "the host provides kavach-api and SLF4J, never the plugin: " + jars);
        }
    }

    @Test
    void theKubernetesPluginUsesOnlyTheApiAndTheLibrariesInItsFolder() {
        // A plugin folder with real libraries (fabric8). Its classes are not on this module's class path: they
        // are read from its build output, and checked once the build has assembled its plugin folder.
        Path classes = Path.of("..", "kavach-backend-kubernetes", "target", "classes");
        Prerequisites.require(Files.isDirectory(classes) && Files.isDirectory(pluginFolder("kubernetes")),
                "the kubernetes plugin built and packaged (./mvnw package builds " + pluginFolder("kubernetes") + ")");
        JavaClasses kubernetes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPath(classes);
        assertFalse(kubernetes.stream().noneMatch(c -> c.getPackageName().startsWith("dev.kavach.backend.kubernetes")), "no classes imported");
        backendsUseOnlyTheApiAndTheirOwnLibraries(ArchitectureTest::bundledInPluginFolder).check(kubernetes);
    }

    @Test
    void theBackendRuleAllowsBundledLibrariesAndCatchesEveryOtherDependency() throws Exception {
        JavaClasses fake = new ClassFileImporter().importClasses(FakeBackendClasses.UsesApi.class, FakeBackendClasses.UsesALibrary.class,
                FakeBackendClasses.UsesCore.class, FakeBackendClasses.UsesAnotherBackend.class, FakeBackendClasses.UsesAHostLibrary.class);
        Set<String> picocli = classesIn(Path.of(picocli.CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        ArchRule rule = backendsUseOnlyTheApiAndTheirOwnLibraries(backend -> backend.equals("fake") ? picocli : Set.of());
        EvaluationResult result = rule.evaluate(fake);
        String report = String.join("\n", result.getFailureReport().getDetails());
        assertTrue(report.contains("UsesCore") && report.contains("dev.kavach.core.KavachOptions"), report);
        assertTrue(report.contains("UsesAnotherBackend") && report.contains("dev.kavach.backend.other.OtherBackendClass"), report);
        assertTrue(report.contains("UsesAHostLibrary") && report.contains("com.typesafe.config.ConfigFactory"), report);
        assertFalse(report.contains("UsesApi"), report);
        assertFalse(report.contains("UsesALibrary"), report);
        // without picocli in the fake backend's folder, using it is a violation too
        String unbundled = String.join("\n", backendsUseOnlyTheApiAndTheirOwnLibraries(backend -> Set.of())
                .evaluate(fake).getFailureReport().getDetails());
        assertTrue(unbundled.contains("UsesALibrary") && unbundled.contains("picocli"), unbundled);
    }

    /**
     * A backend's classes may use the JDK, {@code dev.kavach.api}, SLF4J (the two the host shares with every
     * plugin layer), their own backend's classes, and a third-party library only if its JAR is one the
     * backend bundles in its own plugin folder ({@code plugins/kavach-backend-<name>/}). Never Kavach's core
     * or CLI, another backend, or a library the host happens to have (a plugin layer could read it, and then
     * depend on the host's version of it).
     *
     * @param bundledClasses for a backend's package name ({@code "sev"}), the names of the classes in the JARs it bundles
     */
    static ArchRule backendsUseOnlyTheApiAndTheirOwnLibraries(Function<String, Set<String>> bundledClasses) {
        return classes().that().resideInAPackage("dev.kavach.backend..")
                .should(new ArchCondition<JavaClass>("depend only on the JDK, kavach-api, SLF4J, their own backend and the libraries "
                        + "bundled in their own plugin folder") {
                    @Override
                    public void check(JavaClass origin, ConditionEvents events) {
                        String backend = backendOf(origin.getPackageName());
                        for (Dependency dependency : origin.getDirectDependenciesFromSelf()) {
                            JavaClass target = dependency.getTargetClass().getBaseComponentType();
                            if (!allowed(backend, target, bundledClasses)) {
                                events.add(SimpleConditionEvent.violated(dependency, dependency.getDescription()));
                            }
                        }
                    }
                });
    }

    private static boolean allowed(String backend, JavaClass target, Function<String, Set<String>> bundledClasses) {
        String pkg = target.getPackageName();
        if (target.isPrimitive() || pkg.startsWith("java.") || pkg.startsWith("javax.")
                || pkg.equals("dev.kavach.api") || pkg.startsWith("dev.kavach.api.") || pkg.equals("org.slf4j") || pkg.startsWith("org.slf4j.")) {
            return true;
        }
        if (backend.equals(backendOf(pkg))) {
            return true;
        }
        // Another Kavach module only when bundled in the folder (kavach-attestation-snp in sev's); never core or the CLI,
        // which a plugin folder cannot hold (the host's copies would split their packages).
        return !pkg.startsWith("dev.kavach.core") && !pkg.startsWith("dev.kavach.cli")
                && bundledClasses.apply(backend).contains(target.getName());
    }

    /** {@code "sev"} for {@code dev.kavach.backend.sev.cli}; empty outside the backends. */
    private static String backendOf(String pkg) {
        String prefix = "dev.kavach.backend.";
        if (!pkg.startsWith(prefix)) {
            return "";
        }
        String rest = pkg.substring(prefix.length());
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    /**
     * The classes in the JARs of {@code plugins/kavach-backend-<name>/} beside the plugin's own, as the build
     * left them; none for a single-JAR plugin or a built-in backend.
     */
    private static Set<String> bundledInPluginFolder(String backend) {
        Path folder = pluginFolder(backend);
        if (!Files.isDirectory(folder)) {
            return Set.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            Set<String> classes = new HashSet<>();
            for (Path jar : files.filter(f -> f.getFileName().toString().endsWith(".jar")
                    && !f.getFileName().toString().startsWith("kavach-backend-")).toList()) {
                classes.addAll(classesIn(jar));
            }
            return classes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path pluginFolder(String backend) {
        return Path.of("..", "plugins", "kavach-backend-" + backend);
    }

    /** The binary names of the classes in a JAR, e.g. {@code picocli.CommandLine$Help}. */
    private static Set<String> classesIn(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            return file.stream().map(JarEntry::getName)
                    .filter(name -> name.endsWith(".class") && !name.endsWith("module-info.class") && !name.startsWith("META-INF/"))
                    .map(name -> name.substring(0, name.length() - ".class".length()).replace('/', '.'))
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void noBackendDependsOnAnother() {
        slices().matching("dev.kavach.backend.(*)..").should().notDependOnEachOther().check(kavach);
    }

    /** Core finds backends through ServiceLoader only: naming one of their classes would tie the host to a plugin. */
    private static final ArchRule CORE_NAMES_NO_BACKEND_AND_NOT_THE_CLI = noClasses().that().resideInAPackage("dev.kavach.core..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.kavach.backend..", "dev.kavach.cli..");

    @Test
    void coreNamesNoBackendAndNotTheCli() {
        CORE_NAMES_NO_BACKEND_AND_NOT_THE_CLI.check(kavach);
    }

    @Test
    void theCoreRuleCatchesACoreClassNamingABackend() {
        EvaluationResult result = CORE_NAMES_NO_BACKEND_AND_NOT_THE_CLI.evaluate(
                new ClassFileImporter().importClasses(dev.kavach.core.fake.NamesABackend.class));
        String report = String.join("\n", result.getFailureReport().getDetails());
        assertTrue(report.contains("NamesABackend") && report.contains("dev.kavach.backend.other.OtherBackendClass"), report);
    }

    @Test
    void cliNamesNoBackendClass() {
        noClasses().that().resideInAPackage("dev.kavach.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.kavach.backend..")
                .check(kavach);
    }

    @Test
    void modulesHaveNoCycles() {
        slices().matching("dev.kavach.(*)..").should().beFreeOfCycles().check(kavach);
    }

    @Test
    void packagesHaveNoCyclesOutsideCore() {
        // Core is left out for now, and reported: its public value types (BackendOrigin, PluginDiagnostic...)
        // live in dev.kavach.core, which its own sub-packages (config, discovery, plugin) use while Kavach uses
        // them back. Include core here once they move to a package of their own.
        slices().matching("dev.kavach.(**)").should().beFreeOfCycles()
                .check(kavach.that(resideOutsideOfPackage("dev.kavach.core..")));
    }
}
