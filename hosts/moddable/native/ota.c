/*
 * ssiot/ota for ESP32 (ESP-IDF app_update). The bootloader must be built
 * with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y (hosts/moddable/esp32/
 * sdkconfig.defaults) for PENDING_VERIFY and automatic rollback.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "esp_system.h"

void xs_ssiot_ota_running(xsMachine *the)
{
	const esp_partition_t *p = esp_ota_get_running_partition();
	xsmcSetString(xsResult, p ? (char *)p->label : "");
}

void xs_ssiot_ota_pending_verify(xsMachine *the)
{
	esp_ota_img_states_t state;
	const esp_partition_t *p = esp_ota_get_running_partition();
	xsmcSetBoolean(xsResult, p && (ESP_OK == esp_ota_get_state_partition(p, &state)) && (ESP_OTA_IMG_PENDING_VERIFY == state));
}

/* setBoot("nextota") selects the partition that is not running; any other string is a partition label. */
void xs_ssiot_ota_set_boot(xsMachine *the)
{
	const char *label = xsmcToString(xsArg(0));
	const esp_partition_t *p;
	if (0 == c_strcmp(label, "nextota"))
		p = esp_ota_get_next_update_partition(NULL);
	else
		p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_ANY, label);
	if (!p)
		xsUnknownError("partition not found");
	if (ESP_OK != esp_ota_set_boot_partition(p))	/* checks the image first */
		xsUnknownError("can't set boot partition");
}

void xs_ssiot_ota_mark_valid(xsMachine *the)
{
	esp_err_t err = esp_ota_mark_app_valid_cancel_rollback();
	if ((ESP_OK != err) && (ESP_ERR_NOT_SUPPORTED != err))
		xsUnknownError("mark valid failed");
}

void xs_ssiot_ota_restart(xsMachine *the)
{
	esp_restart();
}
