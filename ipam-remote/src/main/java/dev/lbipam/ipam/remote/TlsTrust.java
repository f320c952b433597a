package dev.lbipam.ipam.remote;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Trust in exactly the certificates of a PEM CA file (one or more), for a backend's {@code
 * tls-ca-file} option: the trust manager, and a TLS context that uses it.
 */
public record TlsTrust(X509TrustManager trustManager, SSLContext context) {

  /** Thrown when the CA file cannot be read or holds no certificate; the message names the file. */
  public static final class UnusableCaFileException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UnusableCaFileException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public static TlsTrust fromCaFile(Path caFile) {
    try (InputStream in = Files.newInputStream(caFile)) {
      Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certificates.isEmpty()) {
        throw new UnusableCaFileException("tls-ca-file " + caFile + " holds no certificate", null);
      }
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate certificate : certificates) {
        store.setCertificateEntry("ca-" + i++, certificate);
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      for (TrustManager manager : factory.getTrustManagers()) {
        if (manager instanceof X509TrustManager x509) {
          SSLContext context = SSLContext.getInstance("TLS");
          context.init(null, new TrustManager[] {x509}, null);
          return new TlsTrust(x509, context);
        }
      }
      throw new UnusableCaFileException("tls-ca-file " + caFile + ": the JDK offers no X509TrustManager", null);
    } catch (IOException | GeneralSecurityException e) {
      throw new UnusableCaFileException("tls-ca-file " + caFile + " unusable: " + e.getMessage(), e);
    }
  }
}
