package dev.lbipam.controller;

import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The controller's command line ({@link Flags}); the README lists every flag and env var. */
@Command(
    name = "lbipam-controller",
    mixinStandardHelpOptions = true,
    description = "LoadBalancer IP address manager; a drop-in for kube-vip-cloud-provider.")
public final class Main implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  @Mixin Flags flags = new Flags();

  public static void main(String[] args) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    int code = Flags.commandLine(new Main(), System.getenv()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() throws Exception {
    Settings settings;
    try {
      settings = Settings.from(flags, System.getenv());
    } catch (Settings.InvalidSettingsException e) {
      LOG.error("invalid settings: {}", e.getMessage());
      return 2;
    }
    LogLine.useJson(settings.jsonLogs());
    ControllerApp app = new ControllerApp(settings, () -> Runtime.getRuntime().halt(1));
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
    try {
      app.start();
    } catch (RuntimeException e) {
      LOG.error("start failed: {}", e.getMessage(), e);
      app.close();
      return 1;
    }
    app.awaitStopped();
    return 0;
  }
}
