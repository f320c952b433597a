package dev.lbipam.controller;

/**
 * Every scenario of {@link NetBoxModeIT} against the real NetBox 4.7.3 of dev/netbox/build.sh, behind
 * a {@link dev.lbipam.testsupport.netbox.NetBoxFaultProxy} for the lost reply and the outage, with
 * lbipam's least-privilege token. Its own API server and controller; {@link NetBoxModeIT#start}
 * picks the NetBox by the class it runs for.
 */
class NetBoxModeOnRealNetBoxIT extends NetBoxModeIT {}
