package dev.kavach.backend.sev.snp;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SnpGuestPolicyTest {
    @Test
    void theCommonDefaultDecodesToSmtAllowedAndNothingElse() {
        SnpGuestPolicy policy = SnpGuestPolicy.fromBits(0x30000L);
        assertThat(policy).isEqualTo(new SnpGuestPolicy(0, 0, true, false, false, false, false, false, false, false, false));
        assertThat(policy.toHex()).isEqualTo("0x30000");
        assertThat(policy.bitsRejectedByKvm()).isEmpty();
        assertThat(policy.weakenings()).isEmpty();
    }

    @ParameterizedTest(name = "bit {0} is {1}")
    @CsvSource({
            "16, smtAllowed", "18, migrationAgent", "19, debug", "20, singleSocket", "21, cxlAllowed",
            "22, memAes256Xts", "23, raplDisabled", "24, ciphertextHiding", "25, pageSwapDisabled"})
    void everyFlagBitMapsToItsOwnField(int bit, String field) throws Exception {
        SnpGuestPolicy policy = SnpGuestPolicy.fromBits((1L << 17) | (1L << bit));
        for (var component : SnpGuestPolicy.class.getRecordComponents()) {
            Object value = component.getAccessor().invoke(policy);
            if (value instanceof Boolean flag) {
                assertThat(flag).as(component.getName()).isEqualTo(component.getName().equals(field));
            } else {
                assertThat(value).as(component.getName()).isEqualTo(0);
            }
        }
        assertThat(policy.toBits()).isEqualTo((1L << 17) | (1L << bit));
    }

    @Test
    void abiVersionOccupiesTheLowSixteenBits() {
        SnpGuestPolicy policy = SnpGuestPolicy.fromBits(0x2_0000L | 0x0155L);
        assertThat(policy.abiMajor()).isEqualTo(1);
        assertThat(policy.abiMinor()).isEqualTo(0x55);
        assertThat(policy.toBits()).isEqualTo(0x20155L);
    }

    @Property
    void everyValidValueRoundTrips(@ForAll long random) {
        long bits = (random & ((1L << 26) - 1)) | (1L << 17);
        assertThat(SnpGuestPolicy.fromBits(bits).toBits()).isEqualTo(bits);
    }

    @Property
    void anyMustBeZeroBitIsRejected(@ForAll long random) {
        long high = random & ~((1L << 26) - 1);
        if (high == 0) {
            high = 1L << 26;
        }
        long bits = high | (1L << 17);
        assertThatThrownBy(() -> SnpGuestPolicy.fromBits(bits))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must-be-zero bits 63:26");
    }

    @Test
    void reservedBit17MustBeSet() {
        assertThatThrownBy(() -> SnpGuestPolicy.fromBits(0x10000L))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reserved bit 17 clear")
                .hasMessageContaining("0x30000");
    }

    @Test
    void abiFieldsOutOfRangeAreRejected() {
        assertThatThrownBy(() -> new SnpGuestPolicy(256, 0, false, false, false, false, false, false, false, false, false))
                .hasMessageContaining("ABI minor");
        assertThatThrownBy(() -> new SnpGuestPolicy(0, -1, false, false, false, false, false, false, false, false, false))
                .hasMessageContaining("ABI major");
    }

    @Test
    void hardenedDefaultHasNoDebugNoMigrationAgentAndSmtAsTheHost() {
        assertThat(SnpGuestPolicy.hardened(true).toBits()).isEqualTo(0x30000L);
        assertThat(SnpGuestPolicy.hardened(false).toBits()).isEqualTo(0x20000L);
        assertThat(SnpGuestPolicy.hardened(true).debug()).isFalse();
        assertThat(SnpGuestPolicy.hardened(true).migrationAgent()).isFalse();
    }

    @Test
    void bitsUpstreamKvmRefusesAreNamed() {
        SnpGuestPolicy policy = SnpGuestPolicy.fromBits((1L << 17) | (1L << 18) | (1L << 19) | (1L << 22));
        assertThat(policy.bitsRejectedByKvm()).containsExactly("migration agent (bit 18)", "AES-256-XTS (bit 22)");
        assertThat(policy.weakenings()).hasSize(2).anySatisfy(w -> assertThat(w).startsWith("debug"));
        assertThat(SnpGuestPolicy.fromBits((1L << 17) | (1L << 19) | (1L << 20)).bitsRejectedByKvm()).isEmpty();
    }
}
