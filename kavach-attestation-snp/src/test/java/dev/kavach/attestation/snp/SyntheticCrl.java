package dev.kavach.attestation.snp;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** A v2 X.509 CRL (RFC 5280 CertificateList) signed with RSASSA-PSS SHA-384 as AMD signs its CRLs, built with the JDK only. */
public final class SyntheticCrl {
    private SyntheticCrl() {
    }

    /** A CRL issued by {@code issuer}'s subject, signed with {@code signer}, revoking {@code revoked} serials. */
    public static byte[] create(X509Certificate issuer, PrivateKey signer, Instant thisUpdate, Instant nextUpdate, List<BigInteger> revoked) {
        try {
            AlgorithmParameters params = AlgorithmParameters.getInstance("RSASSA-PSS");
            params.init(SyntheticChain.PSS);
            byte[] algorithm = Der.sequence(Der.oid("1.2.840.113549.1.1.10"), params.getEncoded());
            List<byte[]> entries = new ArrayList<>();
            for (BigInteger serial : revoked) {
                entries.add(Der.sequence(Der.integer(serial), time(thisUpdate)));
            }
            List<byte[]> tbs = new ArrayList<>(List.of(Der.integer(1), algorithm, issuer.getSubjectX500Principal().getEncoded(),
                    time(thisUpdate), time(nextUpdate)));
            if (!entries.isEmpty()) {
                tbs.add(Der.sequence(entries.toArray(byte[][]::new)));
            }
            byte[] tbsBytes = Der.sequence(tbs.toArray(byte[][]::new));
            Signature pss = Signature.getInstance("RSASSA-PSS");
            pss.setParameter(SyntheticChain.PSS);
            pss.initSign(signer);
            pss.update(tbsBytes);
            byte[] sig = pss.sign();
            byte[] bits = new byte[sig.length + 1];
            System.arraycopy(sig, 0, bits, 1, sig.length);
            return Der.sequence(tbsBytes, algorithm, Der.tlv(Der.BIT_STRING, bits));
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] time(Instant instant) {
        String text = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC).format(instant);
        return Der.tlv(Der.UTC_TIME, text.getBytes(StandardCharsets.US_ASCII));
    }
}
