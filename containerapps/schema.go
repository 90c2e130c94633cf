package containerapps

// The ContainerApp request schema, transcribed from the official spec
// (app/resource-manager/Microsoft.App/preview/2023-08-01-preview/
// ContainerApps.json and CommonDefinitions.json, with common-types v3
// TrackedResource and ManagedServiceIdentity), widened to what the newer
// versions the official clients send add: StorageType NfsAzureFile and
// configuration.identitySettings (2024-03-01 and later), and the read-only
// properties.runningStatus.
//
// Properties the schema does not name are kept as sent, as Azure's schemas
// do not forbid them (none declares additionalProperties: false), so a newer
// client's fields survive a round trip. Enumerations are matched without
// regard to case and stored in their canonical spelling, as Azure returns
// them.

// kind is a JSON type as Swagger declares it.
type kind uint8

const (
	kObject kind = iota
	kArray
	kMap // an object whose values all have one schema (additionalProperties)
	kString
	kInt32
	kInt64
	kNumber
	kBool
)

// node is one schema: a JSON type and its constraints.
type node struct {
	kind     kind
	props    map[string]*node // kObject
	required []string         // kObject
	elem     *node            // kArray items, kMap values
	enum     []string         // kString: the allowed values, canonical spelling
	readOnly bool             // set by the server: removed from requests
}

func obj(props map[string]*node, required ...string) *node {
	return &node{kind: kObject, props: props, required: required}
}
func arrayOf(elem *node) *node { return &node{kind: kArray, elem: elem} }
func mapOf(elem *node) *node   { return &node{kind: kMap, elem: elem} }
func str() *node               { return &node{kind: kString} }
func int32n() *node            { return &node{kind: kInt32} }
func int64n() *node            { return &node{kind: kInt64} }
func number() *node            { return &node{kind: kNumber} }
func boolean() *node           { return &node{kind: kBool} }
func enum(values ...string) *node {
	return &node{kind: kString, enum: values}
}

// readOnly marks a property the server assigns: a client's value is dropped.
func readOnly(n *node) *node { n.readOnly = true; return n }

func stringList() *node { return arrayOf(str()) }

var scaleRuleAuth = arrayOf(obj(map[string]*node{
	"secretRef": str(), "triggerParameter": str(),
}))

func baseContainerProps() map[string]*node {
	return map[string]*node{
		"image":   str(),
		"name":    str(),
		"command": stringList(),
		"args":    stringList(),
		"env": arrayOf(obj(map[string]*node{
			"name": str(), "value": str(), "secretRef": str(),
		})),
		"resources": obj(map[string]*node{
			"cpu": number(), "memory": str(), "ephemeralStorage": readOnly(str()),
		}),
		"volumeMounts": arrayOf(obj(map[string]*node{
			"volumeName": str(), "mountPath": str(), "subPath": str(),
		})),
	}
}

var probe = obj(map[string]*node{
	"failureThreshold": int32n(),
	"httpGet": obj(map[string]*node{
		"host": str(),
		"httpHeaders": arrayOf(obj(map[string]*node{
			"name": str(), "value": str(),
		}, "name", "value")),
		"path":   str(),
		"port":   int32n(),
		"scheme": enum("HTTP", "HTTPS"),
	}, "port"),
	"initialDelaySeconds": int32n(),
	"periodSeconds":       int32n(),
	"successThreshold":    int32n(),
	"tcpSocket": obj(map[string]*node{
		"host": str(), "port": int32n(),
	}, "port"),
	"terminationGracePeriodSeconds": int64n(),
	"timeoutSeconds":                int32n(),
	"type":                          enum("Liveness", "Readiness", "Startup"),
})

func container() *node {
	p := baseContainerProps()
	p["probes"] = arrayOf(probe)
	return obj(p)
}

var ingress = obj(map[string]*node{
	"fqdn":        readOnly(str()),
	"external":    boolean(),
	"targetPort":  int32n(),
	"exposedPort": int32n(),
	"transport":   enum("auto", "http", "http2", "tcp"),
	"traffic": arrayOf(obj(map[string]*node{
		"revisionName": str(), "weight": int32n(), "latestRevision": boolean(), "label": str(),
	})),
	"customDomains": arrayOf(obj(map[string]*node{
		"name": str(), "bindingType": enum("Disabled", "SniEnabled"), "certificateId": str(),
	}, "name")),
	"allowInsecure": boolean(),
	"ipSecurityRestrictions": arrayOf(obj(map[string]*node{
		"name": str(), "description": str(), "ipAddressRange": str(), "action": enum("Allow", "Deny"),
	}, "name", "ipAddressRange", "action")),
	"stickySessions":        obj(map[string]*node{"affinity": enum("sticky", "none")}),
	"clientCertificateMode": enum("ignore", "accept", "require"),
	"corsPolicy": obj(map[string]*node{
		"allowedOrigins":   stringList(),
		"allowedMethods":   stringList(),
		"allowedHeaders":   stringList(),
		"exposeHeaders":    stringList(),
		"maxAge":           int32n(),
		"allowCredentials": boolean(),
	}, "allowedOrigins"),
	"additionalPortMappings": arrayOf(obj(map[string]*node{
		"external": boolean(), "targetPort": int32n(), "exposedPort": int32n(),
	}, "external", "targetPort")),
})

var configuration = obj(map[string]*node{
	"secrets": arrayOf(obj(map[string]*node{
		"name": str(), "value": str(), "identity": str(), "keyVaultUrl": str(),
	})),
	"activeRevisionsMode": enum("Multiple", "Single"),
	"ingress":             ingress,
	"registries": arrayOf(obj(map[string]*node{
		"server": str(), "username": str(), "passwordSecretRef": str(), "identity": str(),
	})),
	"dapr": obj(map[string]*node{
		"enabled":            boolean(),
		"appId":              str(),
		"appProtocol":        enum("http", "grpc"),
		"appPort":            int32n(),
		"httpReadBufferSize": int32n(),
		"httpMaxRequestSize": int32n(),
		"logLevel":           enum("info", "debug", "warn", "error"),
		"enableApiLogging":   boolean(),
	}),
	"maxInactiveRevisions": int32n(),
	"service":              obj(map[string]*node{"type": str()}, "type"),
	"identitySettings": arrayOf(obj(map[string]*node{
		"identity": str(), "lifecycle": enum("Init", "Main", "None", "All"),
	}, "identity")),
})

var template = obj(map[string]*node{
	"revisionSuffix":                str(),
	"terminationGracePeriodSeconds": int64n(),
	"initContainers":                arrayOf(obj(baseContainerProps())),
	"containers":                    arrayOf(container()),
	"scale": obj(map[string]*node{
		"minReplicas": int32n(),
		"maxReplicas": int32n(),
		"rules": arrayOf(obj(map[string]*node{
			"name": str(),
			"azureQueue": obj(map[string]*node{
				"queueName": str(), "queueLength": int32n(), "auth": scaleRuleAuth,
			}),
			"custom": obj(map[string]*node{
				"type": str(), "metadata": mapOf(str()), "auth": scaleRuleAuth,
			}),
			"http": obj(map[string]*node{"metadata": mapOf(str()), "auth": scaleRuleAuth}),
			"tcp":  obj(map[string]*node{"metadata": mapOf(str()), "auth": scaleRuleAuth}),
		})),
	}),
	"volumes": arrayOf(obj(map[string]*node{
		"name":         str(),
		"storageType":  enum("AzureFile", "EmptyDir", "Secret", "NfsAzureFile"),
		"storageName":  str(),
		"secrets":      arrayOf(obj(map[string]*node{"secretRef": str(), "path": str()})),
		"mountOptions": str(),
	})),
	"serviceBinds": arrayOf(obj(map[string]*node{"serviceId": str(), "name": str()})),
})

// identityTypes are ManagedServiceIdentityType's values; "SystemAssigned,
// UserAssigned" is also accepted with a space, as older clients wrote it.
var identityTypes = []string{"None", "SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned"}

// containerAppSchema is the ContainerApp definition.
var containerAppSchema = obj(map[string]*node{
	"id":         readOnly(str()),
	"name":       readOnly(str()),
	"type":       readOnly(str()),
	"systemData": readOnly(obj(nil)),
	"location":   str(),
	"tags":       mapOf(str()),
	"extendedLocation": obj(map[string]*node{
		"name": str(), "type": enum("CustomLocation"),
	}),
	"identity": obj(map[string]*node{
		"type":        enum(identityTypes...),
		"principalId": readOnly(str()),
		"tenantId":    readOnly(str()),
		"userAssignedIdentities": mapOf(obj(map[string]*node{
			"principalId": readOnly(str()), "clientId": readOnly(str()),
		})),
	}, "type"),
	"managedBy": str(),
	"properties": obj(map[string]*node{
		"provisioningState":          readOnly(str()),
		"runningStatus":              readOnly(str()),
		"managedEnvironmentId":       str(),
		"environmentId":              str(),
		"workloadProfileName":        str(),
		"latestRevisionName":         readOnly(str()),
		"latestReadyRevisionName":    readOnly(str()),
		"latestRevisionFqdn":         readOnly(str()),
		"customDomainVerificationId": readOnly(str()),
		"configuration":              configuration,
		"template":                   template,
		"outboundIpAddresses":        readOnly(stringList()),
		"eventStreamEndpoint":        readOnly(str()),
	}),
}, "location")
