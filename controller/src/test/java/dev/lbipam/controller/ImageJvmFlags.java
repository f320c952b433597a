package dev.lbipam.controller;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The JVM flags of the image's ENTRYPOINT (between {@code java} and {@code -jar}), read from the Containerfile. */
final class ImageJvmFlags {
  private static final Pattern ENTRYPOINT = Pattern.compile("(?m)^ENTRYPOINT\\s*\\[(.*?)\\]", Pattern.DOTALL);
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");

  private ImageJvmFlags() {}

  /** The Containerfile at the repository's root, from the controller module or the root. */
  static List<String> ofRepository() {
    for (Path candidate : List.of(Path.of("..", "Containerfile"), Path.of("Containerfile"))) {
      if (Files.isRegularFile(candidate)) {
        try {
          return parse(Files.readString(candidate));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    throw new IllegalStateException("no Containerfile in .. or . of " + Path.of("").toAbsolutePath()
        + ": run from the repository's root or the controller module");
  }

  static List<String> parse(String containerfile) {
    Matcher entrypoint = ENTRYPOINT.matcher(containerfile);
    if (!entrypoint.find()) {
      throw new IllegalArgumentException("the Containerfile has no ENTRYPOINT [...] line");
    }
    List<String> words = new ArrayList<>();
    Matcher quoted = QUOTED.matcher(entrypoint.group(1));
    while (quoted.find()) {
      words.add(quoted.group(1));
    }
    int java = words.indexOf("java");
    int jar = words.indexOf("-jar");
    if (java < 0 || jar < java) {
      throw new IllegalArgumentException("the ENTRYPOINT is not java <flags> -jar <file>: " + words);
    }
    return List.copyOf(words.subList(java + 1, jar));
  }
}
