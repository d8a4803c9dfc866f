//! The VST3 side of the built plugin, loaded as a VST3 host loads it: `ModuleEntry`, the factory,
//! an `IComponent` initialized and asked for its `IEditController`, then each parameter's
//! `ParameterInfo` and value strings. What a host shows for a parameter follows from these
//! (Ardour 7.3: `kIsList` → a list of names; a step count of 1 without it → a toggle; more
//! steps → an integer), so this checks what the user sees without a DAW.

use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;
use vst3::Steinberg::Vst::ParameterInfo_::ParameterFlags_;
use vst3::Steinberg::Vst::{IComponent, IEditController, IEditControllerTrait, ParameterInfo};
use vst3::Steinberg::{
    IPluginBaseTrait, IPluginFactory, IPluginFactoryTrait, PClassInfo, kResultOk,
};
use vst3::{ComPtr, Interface};

#[path = "support/plugin_lib.rs"]
mod plugin_lib;

fn utf16(s: &[u16]) -> String {
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    String::from_utf16_lossy(&s[..end])
}

struct Param {
    info: ParameterInfo,
    /// The host's text for each step, through `getParamStringByValue`.
    texts: Vec<String>,
}

/// Every parameter by title, from a real instance of the plugin's VST3 class.
fn parameters() -> HashMap<String, Param> {
    let lib =
        unsafe { libloading::Library::new(plugin_lib::path(false)) }.expect("load the plugin");
    unsafe {
        // A Linux VST3 host calls ModuleEntry before anything else (the SDK's module loader).
        let entry: libloading::Symbol<unsafe extern "C" fn(*mut c_void) -> bool> =
            lib.get(b"ModuleEntry").expect("ModuleEntry exported");
        assert!(entry(ptr::null_mut()), "ModuleEntry failed");
        let factory: libloading::Symbol<unsafe extern "system" fn() -> *mut c_void> = lib
            .get(b"GetPluginFactory")
            .expect("GetPluginFactory exported");
        let factory =
            ComPtr::<IPluginFactory>::from_raw(factory() as *mut IPluginFactory).expect("factory");
        assert_eq!(factory.countClasses(), 1);
        let mut class: PClassInfo = std::mem::zeroed();
        assert_eq!(factory.getClassInfo(0, &mut class), kResultOk);
        let mut obj: *mut c_void = ptr::null_mut();
        assert_eq!(
            factory.createInstance(
                class.cid.as_ptr(),
                IComponent::IID.as_ptr() as *const _,
                &mut obj
            ),
            kResultOk
        );
        let component = ComPtr::<IComponent>::from_raw(obj as *mut IComponent).expect("component");
        assert_eq!(component.initialize(ptr::null_mut()), kResultOk);
        let controller: ComPtr<IEditController> = component
            .cast()
            .expect("the component is its own edit controller");
        let mut out = HashMap::new();
        for i in 0..controller.getParameterCount() {
            let mut info: ParameterInfo = std::mem::zeroed();
            assert_eq!(controller.getParameterInfo(i, &mut info), kResultOk);
            let steps = info.stepCount.max(0);
            let texts = (0..=steps)
                .filter(|_| steps > 0)
                .map(|s| {
                    let mut text = [0u16; 128];
                    let norm = s as f64 / steps as f64;
                    assert_eq!(
                        controller.getParamStringByValue(info.id, norm, &mut text),
                        kResultOk
                    );
                    utf16(&text)
                })
                .collect();
            out.insert(utf16(&info.title), Param { info, texts });
        }
        drop(controller);
        component.terminate();
        drop(component);
        drop(factory);
        // The wrapper's module exit, as a host calls it before unloading.
        if let Ok(exit) = lib.get::<unsafe extern "C" fn() -> bool>(b"ModuleExit") {
            exit();
        }
        out
    }
}

/// `Machine` and `Score` are lists a VST3 host shows by name (`kIsList`, the step count of their
/// choices, a name per step), not a bare integer and a toggle; `Fault on` and `Bypass` stay
/// toggles (no `kIsList`), `Intensity` stays continuous.
#[test]
fn choices_are_vst3_lists_with_their_names() {
    let params = parameters();
    let list = |name: &str| {
        let p = params
            .get(name)
            .unwrap_or_else(|| panic!("no parameter {name}"));
        (
            p.info.flags & ParameterFlags_::kIsList != 0,
            p.info.stepCount,
            p.texts.clone(),
        )
    };
    let machines: Vec<String> = faultline::machine::MachineType::ALL
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    assert_eq!(list("Machine"), (true, 7, machines));
    assert_eq!(
        list("Score"),
        (true, 1, vec!["mse".to_string(), "mahalanobis".to_string()])
    );
    for toggle in ["Fault on", "Bypass"] {
        let (is_list, steps, _) = list(toggle);
        assert_eq!((is_list, steps), (false, 1), "{toggle}");
    }
    let (is_list, steps, _) = list("Intensity");
    assert_eq!((is_list, steps), (false, 0));
    for p in params.values() {
        assert_ne!(
            p.info.flags & ParameterFlags_::kCanAutomate,
            0,
            "{}",
            utf16(&p.info.title)
        );
    }
}
