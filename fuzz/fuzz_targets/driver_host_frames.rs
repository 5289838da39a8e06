//! The driver-host protocol as the server reads it from a plugin's child process
//! (plugins/host driver_host: frames, HELLO check, LOADED plugin info, RESULT
//! head). A crashed or hostile child may write anything on its stdout.
#![no_main]
use std::io::Cursor;

use cotton_plugin_host::PluginInfo;
use cotton_plugin_host::driver_host::protocol::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = Cursor::new(data);
    let mut first = true;
    while let Ok(Some(f)) = read_frame(&mut r) {
        assert!(1 + f.body.len() <= MAX_FRAME);
        if std::mem::take(&mut first) {
            let _ = Hello::check_peer(&f);
        }
        match f.tag {
            TAG_LOADED => drop(serde_json::from_slice::<PluginInfo>(&f.body)),
            TAG_RESULT => {
                if let Ok((head, rest)) = f.split_u32() {
                    assert_eq!(4 + rest.len(), f.body.len());
                    let _ = i32::from_le_bytes(head);
                }
            }
            _ => drop(f.text()),
        }
        // What was read writes back to the same bytes.
        let mut out = Vec::new();
        write_frame(&mut out, &f).expect("a frame that was read fits");
        assert_eq!(read_frame(&mut Cursor::new(&out)).unwrap(), Some(f));
    }
});
