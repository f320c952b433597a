/**
 * The {@code netbox} backend: each LoadBalancer address is allocated atomically by NetBox from a
 * prefix or IP range ({@code POST .../available-ips/}), recorded there with its owner (a tag, a
 * unique claim custom field and a cluster custom field), released on deletion and restored after
 * restarts. {@link dev.lbipam.ipam.netbox.NetBoxBackend} is the SPI implementation, {@link
 * dev.lbipam.ipam.netbox.NetBoxClient} the HTTP client (OkHttp, resilience4j circuit breaker),
 * {@link dev.lbipam.ipam.netbox.PoolConfig} and {@link dev.lbipam.ipam.netbox.PoolRef} the pure
 * parsing of the ConfigMap keys. User documentation: {@code docs/netbox.md}.
 */
package dev.lbipam.ipam.netbox;
