package dev.kavach.attestation.snp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Reads X.509 certificates in PEM or DER, one or several per file, with errors that name the file. */
public final class CertificateFiles {
    private CertificateFiles() {
    }

    /** Every certificate in {@code bytes} (a PEM bundle or one DER certificate). */
    public static List<X509Certificate> parse(byte[] bytes, String source) {
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            Collection<? extends java.security.cert.Certificate> certs = factory.generateCertificates(new ByteArrayInputStream(bytes));
            List<X509Certificate> list = new ArrayList<>();
            for (java.security.cert.Certificate c : certs) {
                list.add((X509Certificate) c);
            }
            if (list.isEmpty()) {
                throw new CertificateUnavailableException(source + " contains no certificate", "pass a PEM or DER X.509 certificate file");
            }
            return List.copyOf(list);
        } catch (CertificateException e) {
            throw new CertificateUnavailableException(source + " is not a PEM or DER X.509 certificate: " + e.getMessage(),
                    "pass the certificate as AMD's KDS serves it (DER for a VCEK, PEM for cert_chain)", e);
        }
    }

    /** Every certificate in a file. */
    public static List<X509Certificate> read(Path file) {
        try {
            return parse(Files.readAllBytes(file), file.toString());
        } catch (IOException e) {
            throw new CertificateUnavailableException("cannot read certificate file " + file + ": " + e,
                    "check the path and its permissions");
        }
    }

    /** Exactly one certificate from a file. */
    public static X509Certificate readOne(Path file) {
        List<X509Certificate> certs = read(file);
        if (certs.size() != 1) {
            throw new CertificateUnavailableException(file + " holds " + certs.size() + " certificates, expected one",
                    "pass the VCEK/VLEK alone; put the ASK and ARK in --chain");
        }
        return certs.get(0);
    }

    /** The self-signed certificate (the ARK) in a chain, or null. */
    static X509Certificate selfSigned(List<X509Certificate> certs) {
        for (X509Certificate c : certs) {
            if (c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                return c;
            }
        }
        return null;
    }

    /** The first certificate that is not self-signed (the ASK or ASVK), or null. */
    static X509Certificate intermediate(List<X509Certificate> certs) {
        for (X509Certificate c : certs) {
            if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                return c;
            }
        }
        return null;
    }

    /** One certificate as PEM text (BEGIN/END CERTIFICATE, base64 in 64-character lines). */
    public static String pem(X509Certificate cert) {
        try {
            return "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                    .encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n";
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
