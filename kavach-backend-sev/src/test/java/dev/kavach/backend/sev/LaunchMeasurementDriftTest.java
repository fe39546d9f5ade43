package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.GuestBoot;
import dev.kavach.backend.sev.qemu.Accel;
import dev.kavach.backend.sev.qemu.QemuArgs;
import dev.kavach.backend.sev.snp.ExecAttestor;
import dev.kavach.backend.sev.snp.MeasurementPin;
import dev.kavach.backend.sev.snp.SnpExecAttestor;
import dev.kavach.backend.sev.snp.SnpGuestPolicy;

import dev.kavach.api.Attestation;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.backend.sev.cli.MeasureCommand;
import dev.kavach.backend.sev.measure.MeasurementInputs;
import dev.kavach.backend.sev.measure.SnpMeasurement;
import dev.kavach.backend.sev.measure.VcpuSignature;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The sev backend's expected measurement and its QEMU command line come from one launch description, so
 * they cannot drift: whatever launch the backend decides, reading the measured inputs back from the argv
 * QEMU would get ({@code -bios}, {@code -kernel}, {@code -initrd}, {@code -append}, {@code -smp},
 * {@code -cpu}, {@code kernel-hashes}) and measuring them gives exactly the value the backend pins.
 */
class LaunchMeasurementDriftTest {
    private static final Path FILES = files();
    private static final Path FIRMWARE = Path.of("src/test/resources/sev-snp-measure/ovmf_AmdSev_suffix.bin").toAbsolutePath();

    private static Path files() {
        try {
            Path dir = Files.createTempDirectory("kavach-drift-");
            dir.toFile().deleteOnExit();
            for (String name : List.of("vmlinuz", "initrd.gz")) {
                Path file = Files.write(dir.resolve(name), (name + " contents").repeat(1000).getBytes(StandardCharsets.UTF_8));
                file.toFile().deleteOnExit();
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Property(tries = 60)
    void theMeasurementIsWhatTheCommandLineLaunches(@ForAll @IntRange(min = 1, max = 8) int cpus, @ForAll("models") String cpuModel,
                                                     @ForAll("appends") String extraAppend, @ForAll boolean kernelHashes,
                                                     @ForAll @LongRange(min = 0, max = 0xffff) long guestFeatures,
                                                     @ForAll("signatures") Optional<Long> signature) {
        Map<String, String> settings = new HashMap<>(Map.of("cpu", cpuModel, "kernel-hashes", String.valueOf(kernelHashes),
                "guest-features", "0x" + Long.toHexString(guestFeatures), "firmware", FIRMWARE.toString()));
        signature.ifPresent(sig -> settings.put("vcpu-signature", "0x" + Long.toHexString(sig)));
        VmBackend backend = backend(settings, extraAppend);
        ExecRequest request = ExecRequest.of("true").withPolicy(SandboxPolicy.basic().withCpus(cpus - 0.5));

        QemuArgs argv = new QemuArgs(backend.commandLine(request).orElseThrow());
        MeasurementInputs fromArgv = inputsFromArgv(argv, signature, guestFeatures);
        assertThat(backend.launch(request).measurementInputs()).contains(fromArgv);
        assertThat(backend.expectedMeasurement(request)).contains(SnpMeasurement.of(fromArgv));
    }

    @Example
    void kavachSevMeasureGivesTheSameValueFromTheCommandLine() {
        VmBackend backend = backend(Map.of("cpu", "EPYC-Milan", "firmware", FIRMWARE.toString()), "label=Grüße,a=b");
        ExecRequest request = ExecRequest.of("true").withPolicy(SandboxPolicy.basic().withCpus(3));
        QemuArgs argv = new QemuArgs(backend.commandLine(request).orElseThrow());
        List<String> flags = new ArrayList<>(List.of("--ovmf", argv.value("-bios").orElseThrow(), "--vcpus", argv.value("-smp").orElseThrow(),
                "--vcpu-type", argv.value("-cpu").orElseThrow(), "--kernel", argv.value("-kernel").orElseThrow(),
                "--initrd", argv.value("-initrd").orElseThrow(), "--append", argv.value("-append").orElseThrow()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(MeasureCommand.run(flags, new PrintStream(out, true, StandardCharsets.UTF_8), System.err)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8).strip()).isEqualTo(backend.expectedMeasurement(request).orElseThrow().hex());
        assertThat(argv.value("-smp")).contains("3");
    }

    @Example
    void everyVcpuCountHasItsOwnMeasurement() {
        VmBackend backend = backend(Map.of("firmware", FIRMWARE.toString()), "");
        SnpMeasurement one = backend.expectedMeasurement(ExecRequest.of("true").withPolicy(SandboxPolicy.basic().withCpus(1))).orElseThrow();
        SnpMeasurement two = backend.expectedMeasurement(ExecRequest.of("true").withPolicy(SandboxPolicy.basic().withCpus(2))).orElseThrow();
        assertThat(one).isNotEqualTo(two);
    }

    @Example
    void aRebuiltInitrdIsMeasuredAgain() throws IOException {
        Path dir = Files.createTempDirectory("kavach-rebuilt-");
        Path initrd = Files.writeString(dir.resolve("initrd"), "first");
        try {
            VmSettings settings = TranslatorFixtures.settings(true, Map.of("firmware", FIRMWARE.toString()));
            VmBackend backend = new VmBackend("sev", settings, Accel.KVM, new GuestBoot(FILES.resolve("vmlinuz"), initrd, GuestBoot.BASE_APPEND),
                    Optional.of(snp(settings)), Path.of("/tmp"));
            ExecRequest request = ExecRequest.of("true");
            SnpMeasurement before = backend.expectedMeasurement(request).orElseThrow();
            Files.writeString(initrd, "second, longer");
            assertThat(backend.expectedMeasurement(request)).isPresent().get().isNotEqualTo(before);
        } finally {
            Files.deleteIfExists(initrd);
            Files.deleteIfExists(dir);
        }
    }

    @Example
    void aCpuModelWithoutKnownSignatureNeedsOneConfigured() {
        VmBackend backend = backend(Map.of("cpu", "host", "firmware", FIRMWARE.toString()), "");
        assertThatThrownBy(() -> backend.expectedMeasurement(ExecRequest.of("true")))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("CPU model 'host'")
                .satisfies(e -> assertThat(((ConfigurationException) e).fix()).contains("kavach.backends.sev.vcpu-signature"));
        VmBackend pinned = backend(Map.of("cpu", "host", "vcpu-signature", "0xa10f11", "firmware", FIRMWARE.toString()), "");
        assertThat(pinned.expectedMeasurement(ExecRequest.of("true"))).isPresent();
    }

    @Example
    void aFirmwareWithoutKernelHashesIsRefusedBeforeAnythingStarts() {
        Path generic = Path.of("src/test/resources/sev-snp-measure/ovmf_OvmfX64_suffix.bin").toAbsolutePath();
        VmBackend backend = backend(Map.of("firmware", generic.toString()), "");
        assertThatThrownBy(() -> backend.expectedMeasurement(ExecRequest.of("true")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("SNP_KERNEL_HASHES");
        assertThatThrownBy(() -> backend.exec(ExecRequest.of("true")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("SNP_KERNEL_HASHES");
        assertThat(SevBackendProvider.details(backend, ExecRequest.of("true"))).containsOnlyKeys("measurement-error");
    }

    @Example
    void theDryRunDetailsCarryTheMeasurementAsHex() {
        VmBackend backend = backend(Map.of("firmware", FIRMWARE.toString()), "");
        Map<String, String> details = SevBackendProvider.details(backend, ExecRequest.of("true"));
        assertThat(details).containsOnlyKeys("measurement");
        assertThat(details.get("measurement")).matches("[0-9a-f]{96}").isEqualTo(backend.expectedMeasurement(ExecRequest.of("true")).orElseThrow().hex());
        Map<String, String> unhashed = SevBackendProvider.details(backend(Map.of("firmware", FIRMWARE.toString(), "kernel-hashes", "off"), ""),
                ExecRequest.of("true"));
        assertThat(unhashed).containsKeys("measurement", "measurement-scope");
        assertThat(unhashed.get("measurement-scope")).contains("not measured");
    }

    @Example
    void theReportMustCarryThePinnedMeasurementAndTheAllowListStillApplies() {
        SnpMeasurement expected = new SnpMeasurement(new byte[48]);
        String other = "ab".repeat(48);
        Attestation reported = new Attestation("sev-snp", true, Map.of("measurement", expected.hex()),
                List.of(new Attestation.Check("policy.measurement", true, "any measurement accepted")));
        Attestation pinned = MeasurementPin.pin(reported, expected);
        assertThat(pinned.verified()).isTrue();
        assertThat(pinned.claims()).containsEntry("measurement", expected.hex()).containsEntry("expected_measurement", expected.hex());
        assertThat(pinned.checks()).filteredOn(c -> c.name().equals("launch.measurement")).singleElement()
                .satisfies(c -> assertThat(c.passed()).isTrue());

        Attestation wrong = MeasurementPin.pin(new Attestation("sev-snp", true, Map.of("measurement", other), reported.checks()), expected);
        assertThat(wrong.verified()).isFalse();
        assertThat(wrong.checks()).filteredOn(c -> c.name().equals("launch.measurement")).singleElement()
                .satisfies(c -> assertThat(c.detail()).contains(other).contains(expected.hex()).contains("guest-features"));

        // An allow-list failure (appraised before the pin) keeps the result unverified even when the pin matches.
        Attestation notAllowed = new Attestation("sev-snp", false, Map.of("measurement", expected.hex()),
                List.of(new Attestation.Check("policy.measurement", false, "not one of the expected")));
        assertThat(MeasurementPin.pin(notAllowed, expected).verified()).isFalse();
    }

    @Example
    void theAttestorPinsEvenAReportItCannotParse() {
        ExecAttestor attestor = attestor();
        ExecAttestor.GuestResult unparsable = new ExecAttestor.GuestResult(new byte[0], new byte[10], new byte[0], new byte[0], new byte[0], 0, 0, 0);
        Attestation result = attestor.verify(ExecRequest.of("true"), new byte[32], new byte[32], unparsable, new SnpMeasurement(new byte[48]));
        assertThat(result.verified()).isFalse();
        assertThat(result.checks()).extracting(Attestation.Check::name).contains("launch.measurement");
    }

    private static MeasurementInputs inputsFromArgv(QemuArgs argv, Optional<Long> configuredSignature, long guestFeatures) {
        String sevGuest = argv.optionList("-object", "sev-snp-guest").orElseThrow();
        boolean hashes = List.of(sevGuest.split(",")).contains("kernel-hashes=on");
        String cpu = argv.value("-cpu").orElseThrow().replace(",,", ",");
        long signature = configuredSignature.orElseGet(() -> VcpuSignature.requireType(cpu));
        return new MeasurementInputs(Path.of(argv.value("-bios").orElseThrow()),
                hashes ? Optional.of(Path.of(argv.value("-kernel").orElseThrow())) : Optional.empty(),
                hashes ? Optional.of(Path.of(argv.value("-initrd").orElseThrow())) : Optional.empty(),
                hashes ? Optional.of(argv.value("-append").orElseThrow()) : Optional.empty(),
                Integer.parseInt(argv.value("-smp").orElseThrow()), signature, guestFeatures);
    }

    private static VmBackend backend(Map<String, String> overrides, String extraAppend) {
        Map<String, String> values = new HashMap<>(overrides);
        values.put("max-cpus", "8");
        VmSettings settings = VmSettings.from(BackendSettings.of("kavach.backends.sev", withKernel(values)), true);
        String append = extraAppend.isEmpty() ? GuestBoot.BASE_APPEND : GuestBoot.BASE_APPEND + " " + extraAppend;
        return new VmBackend("sev", settings, Accel.KVM, new GuestBoot(FILES.resolve("vmlinuz"), FILES.resolve("initrd.gz"), append),
                Optional.of(snp(settings)), Path.of("/tmp"));
    }

    private static Map<String, String> withKernel(Map<String, String> values) {
        values.putIfAbsent("kernel", FILES.resolve("vmlinuz").toString());
        return values;
    }

    private static VmBackend.Snp snp(VmSettings settings) {
        VmSettings.Snp s = settings.snp().orElseThrow();
        return new VmBackend.Snp(SnpGuestPolicy.hardened(true), 51, 1, s.firmware(), s.sevDevice(), s.kernelHashes(), s.guestFeatures(),
                s.vcpuSignature(), attestor());
    }

    private static ExecAttestor attestor() {
        return new SnpExecAttestor("job", Map.of(), new dev.kavach.attestation.snp.CertificateStore(FILES.resolve("certs"), null),
                dev.kavach.attestation.snp.SnpAttestationVerifier.atSystemClock(),
                dev.kavach.attestation.snp.AppraisalPolicy.defaults().withLaunchedPolicy(0x30000));
    }

    @Provide
    Arbitrary<String> models() {
        return Arbitraries.of(List.copyOf(VcpuSignature.types().keySet()));
    }

    @Provide
    Arbitrary<String> appends() {
        // What QEMU's -append may carry (no control characters): commas, quotes, '=' and non-ASCII included.
        return Arbitraries.strings().withChars("abcXYZ019 =,.\"'/-_éü☃日").ofMaxLength(40);
    }

    @Provide
    Arbitrary<Optional<Long>> signatures() {
        return Arbitraries.longs().between(0, 0xFFFF_FFFFL).optional(0.3);
    }
}
