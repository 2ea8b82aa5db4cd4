// Deployment inputs, as ovftool users know them: the deployment option, the
// property values (--prop), the OVF environment handed to the guest
// (DSP8027 ovf-env.xml, on an ISO 9660 image) and the EULAs to accept.
// The export engine and `ovfkit env` call these; docs/deploy.md describes
// the behaviour users see.
#pragma once

#include <ovfkit/deploy/environment.hpp>
#include <ovfkit/deploy/eula.hpp>
#include <ovfkit/deploy/properties.hpp>
