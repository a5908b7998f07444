/*
 * ssiot/ota: the ESP-IDF OTA calls ECMA-419 embedded:update does not
 * expose (hosts/moddable/slots.ts). ESP32 only. Native: ota.c.
 */
function running() @ "xs_ssiot_ota_running";
function pendingVerify() @ "xs_ssiot_ota_pending_verify";
function setBoot(label) @ "xs_ssiot_ota_set_boot";
function markValid() @ "xs_ssiot_ota_mark_valid";
function restart() @ "xs_ssiot_ota_restart";

export { running, pendingVerify, setBoot, markValid, restart };
