package dev.lbipam.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

/**
 * The folder holding {@code kube-apiserver} and {@code etcd}, as built by
 * {@code dev/kube-bins/build.sh}.
 *
 * <p>Lookup order:
 *
 * <ol>
 *   <li>{@code $LBIPAM_KUBE_BINS}, if set: that folder, as is;
 *   <li>otherwise {@code ${LBIPAM_CACHE:-$HOME/.cache/lbipam}/kube-bins/<key>}, where the key is
 *       the first 16 hex characters of the SHA-256 of {@code dev/kube-bins/go.mod} followed by
 *       {@code dev/kube-bins/go.sum} (the same key {@code build.sh} uses), and the repository root
 *       is found by walking up from {@code user.dir}.
 * </ol>
 *
 * <p>A missing binary is an {@link IllegalStateException} that says how to build it, never a silent
 * skip.
 */
public record KubeBinaries(Path folder) {

  /** Environment variable that names the binaries folder directly. */
  public static final String FOLDER_ENV = "LBIPAM_KUBE_BINS";
  /** Environment variable for the cache root ({@code build.sh} honours it too). */
  public static final String CACHE_ENV = "LBIPAM_CACHE";
  /** The module, relative to the repository root, that pins the binaries. */
  public static final String MODULE_DIR = "dev/kube-bins";

  static final String HOW_TO_BUILD =
      "run dev/kube-bins/build.sh (cold build 10-20 min, needs Go and the Go module proxy; it builds kube-apiserver, etcd and kubectl)";

  public KubeBinaries {
    Objects.requireNonNull(folder, "folder");
    folder = folder.toAbsolutePath().normalize();
  }

  /** Locates and checks the binaries folder from the real environment and {@code user.dir}. */
  public static KubeBinaries locate() {
    return at(expectedFolder(System.getenv(), Path.of(System.getProperty("user.dir")),
        Path.of(System.getProperty("user.home"))));
  }

  /** Checks that {@code folder} holds executable {@code kube-apiserver} and {@code etcd}. */
  public static KubeBinaries at(Path folder) {
    KubeBinaries binaries = new KubeBinaries(folder);
    for (Path binary : new Path[] {binaries.kubeApiServer(), binaries.etcd()}) {
      if (!Files.isRegularFile(binary) || !Files.isExecutable(binary)) {
        throw new IllegalStateException(
            "No executable " + binary.getFileName() + " in " + binaries.folder()
                + ". To get kube-apiserver and etcd, " + HOW_TO_BUILD
                + "; or point $" + FOLDER_ENV + " at a folder that holds both.");
      }
    }
    return binaries;
  }

  /** Where the binaries should be, without checking that they are there. */
  static Path expectedFolder(Map<String, String> env, Path userDir, Path userHome) {
    String override = env.get(FOLDER_ENV);
    if (override != null && !override.isBlank()) {
      return Path.of(override);
    }
    Path moduleDir = findRepoRoot(userDir).resolve(MODULE_DIR);
    String cache = env.get(CACHE_ENV);
    Path cacheRoot = cache != null && !cache.isBlank()
        ? Path.of(cache)
        : userHome.resolve(".cache").resolve("lbipam");
    return cacheRoot.resolve("kube-bins").resolve(key(moduleDir));
  }

  /** The nearest ancestor of {@code start} (inclusive) that has {@code dev/kube-bins/go.mod}. */
  static Path findRepoRoot(Path start) {
    for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve(MODULE_DIR).resolve("go.mod"))) {
        return dir;
      }
    }
    throw new IllegalStateException(
        "Cannot find " + MODULE_DIR + "/go.mod in " + start + " or any parent folder, so the"
            + " kube binaries cache key is unknown. Run the build from inside the lbipam repository,"
            + " or set $" + FOLDER_ENV + " to a folder with kube-apiserver and etcd (to build them, "
            + HOW_TO_BUILD + ").");
  }

  /** {@code cat go.mod go.sum | sha256sum | cut -c1-16} for the given {@code dev/kube-bins}. */
  static String key(Path moduleDir, String... alsoHashed) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(Files.readAllBytes(moduleDir.resolve("go.mod")));
      Path goSum = moduleDir.resolve("go.sum");
      if (Files.exists(goSum)) { // cat would fail without it; build.sh would too
        sha.update(Files.readAllBytes(goSum));
      }
      for (String file : alsoHashed) {
        sha.update(Files.readAllBytes(moduleDir.resolve(file)));
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + moduleDir, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code helm}, built by {@code dev/helm/build.sh} into
   * {@code ${LBIPAM_CACHE:-$HOME/.cache/lbipam}/helm/<key>/helm}, the key hashing dev/helm's go.mod,
   * go.sum and build.sh as build.sh does ({@code $LBIPAM_HELM}
   * names the binary directly); fails with how to build it when it is missing.
   */
  public static Path helm() {
    Map<String, String> env = System.getenv();
    String override = env.get("LBIPAM_HELM");
    Path helm;
    if (override != null && !override.isBlank()) {
      helm = Path.of(override);
    } else {
      Path root = findRepoRoot(Path.of(System.getProperty("user.dir")));
      String cache = env.get(CACHE_ENV);
      Path cacheRoot = cache != null && !cache.isBlank()
          ? Path.of(cache)
          : Path.of(System.getProperty("user.home")).resolve(".cache").resolve("lbipam");
      helm = cacheRoot.resolve("helm").resolve(key(root.resolve("dev/helm"), "build.sh")).resolve("helm");
    }
    if (!Files.isRegularFile(helm) || !Files.isExecutable(helm)) {
      throw new IllegalStateException("No executable helm at " + helm + ". To get it, run dev/helm/build.sh"
          + " (cold build 3-6 min, needs Go and the Go module proxy), or point $LBIPAM_HELM at a helm binary.");
    }
    return helm;
  }

  public Path kubeApiServer() {
    return folder.resolve("kube-apiserver");
  }

  /**
   * {@code kubectl} from the same build, for tests that run what users run ({@code kubectl apply
   * -k}); fails with how to get it when it is missing.
   */
  public Path kubectl() {
    Path kubectl = folder.resolve("kubectl");
    if (!Files.isRegularFile(kubectl) || !Files.isExecutable(kubectl)) {
      throw new IllegalStateException("No executable kubectl in " + folder + ". To get it, " + HOW_TO_BUILD + ".");
    }
    return kubectl;
  }

  public Path etcd() {
    return folder.resolve("etcd");
  }
}
