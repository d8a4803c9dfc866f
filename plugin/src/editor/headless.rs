//! The editor without a window: runs the real `EditorApp` in an egui context of a given size
//! and rasterizes egui's triangles on the CPU. The layout tests read what lands where, and
//! `examples/editor_snapshot.rs` draws it from a real engine run (the README's screenshot is
//! `docs/screenshot.sh`, the standalone in a real window under Xvfb). The
//! host's parameter setter is a no-op here (nothing is automated).

use super::EditorApp;
use crate::params::FaultlineParams;
use egui::epaint::{ClippedPrimitive, Primitive};
use egui::{Color32, ColorImage, Pos2, Rect, TextureId};
use faultline::engine::{EngineHandle, LiveDetail};
use nice_plug::context::PluginApi;
use nice_plug::context::gui::{GuiContext, GuiContextInner};
use nice_plug::params::internals::ParamPtr;
use nice_plug::plugin::PluginState;
use std::collections::HashMap;
use std::sync::Arc;

/// A host that sets nothing: parameters keep their values.
struct NoHost;

impl GuiContextInner for NoHost {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, _: ParamPtr) {}
    unsafe fn raw_set_parameter_normalized(&self, _: ParamPtr, _: f32) {}
    unsafe fn raw_end_set_parameter(&self, _: ParamPtr) {}
    fn get_state(&self) -> PluginState {
        PluginState {
            version: String::new(),
            params: Default::default(),
            fields: Default::default(),
        }
    }
    fn set_state(&self, _: PluginState) {}
    fn request_restart(&self) {}
}

/// A text egui drew, where, and the clip it was drawn in (visible = inside both).
#[derive(Clone, Debug)]
pub struct DrawnText {
    pub text: String,
    pub rect: Rect,
    pub clip: Rect,
}

impl DrawnText {
    /// Whether the whole text is inside its clip and the window.
    pub fn visible_in(&self, window: Rect) -> bool {
        let shown = self.clip.intersect(window);
        shown.expand(0.5).contains_rect(self.rect)
    }
}

/// An RGBA image, row-major, 8 bits per channel (straight alpha: every pixel is opaque).
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<u8>,
}

/// The editor, running headless.
pub struct Headless {
    app: EditorApp,
    ctx: egui::Context,
    size: egui::Vec2,
    time: f64,
    textures: HashMap<TextureId, ColorImage>,
}

impl Headless {
    pub fn new(params: Arc<FaultlineParams>, engine: Arc<EngineHandle>, size: (f32, f32)) -> Self {
        let mut app = EditorApp::new(params, engine);
        app.gui = Some(GuiContext::new(Arc::new(NoHost)));
        let ctx = egui::Context::default();
        ctx.set_visuals(egui::Visuals::dark());
        Self {
            app,
            ctx,
            size: egui::vec2(size.0, size.1),
            time: 0.0,
            textures: HashMap::new(),
        }
    }

    /// The window rectangle, points.
    pub fn window(&self) -> Rect {
        Rect::from_min_size(Pos2::ZERO, self.size)
    }

    /// Runs one frame with `events`; returns the texts drawn and egui's triangles.
    fn frame(
        &mut self,
        detail: &LiveDetail,
        events: Vec<egui::Event>,
    ) -> (Vec<DrawnText>, Vec<ClippedPrimitive>) {
        self.time += 0.1;
        let input = egui::RawInput {
            screen_rect: Some(self.window()),
            time: Some(self.time),
            predicted_dt: 0.1,
            events,
            ..Default::default()
        };
        let app = &mut self.app;
        let egui::FullOutput {
            mut textures_delta,
            shapes,
            pixels_per_point,
            ..
        } = self.ctx.run_ui(input, |ui| app.draw(ui, detail));
        for (id, deltas) in &textures_delta.set {
            for delta in deltas {
                let egui::ImageData::Color(image) = &delta.image;
                match delta.pos {
                    None => {
                        self.textures.insert(*id, (**image).clone());
                    }
                    Some([x0, y0]) => {
                        if let Some(t) = self.textures.get_mut(id) {
                            for y in 0..image.size[1] {
                                for x in 0..image.size[0] {
                                    t.pixels[(y0 + y) * t.size[0] + x0 + x] =
                                        image.pixels[y * image.size[0] + x];
                                }
                            }
                        }
                    }
                }
            }
        }
        let texts = shapes
            .iter()
            .filter_map(|c| match &c.shape {
                egui::Shape::Text(t) => Some(DrawnText {
                    text: t.galley.text().to_string(),
                    rect: t.visual_bounding_rect(),
                    clip: c.clip_rect,
                }),
                _ => None,
            })
            .collect();
        let primitives = self.ctx.tessellate(shapes, pixels_per_point);
        for id in &textures_delta.free {
            self.textures.remove(id);
        }
        // Applied above (egui checks, in debug builds, that no delta is dropped unapplied).
        textures_delta.clear();
        (texts, primitives)
    }

    /// Draws `frames` frames (layout settles over two) and returns the last one's texts.
    pub fn texts(&mut self, detail: &LiveDetail, frames: usize) -> Vec<DrawnText> {
        let mut texts = Vec::new();
        for _ in 0..frames.max(1) {
            texts = self.frame(detail, Vec::new()).0;
        }
        texts
    }

    /// Scrolls the editor's content by `points` (positive: down the page) with the mouse wheel
    /// over the window's centre, over a few frames so the scroll settles.
    pub fn scroll(&mut self, detail: &LiveDetail, points: f32) {
        let centre = self.window().center();
        self.frame(detail, vec![egui::Event::PointerMoved(centre)]);
        self.frame(
            detail,
            vec![egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: egui::vec2(0.0, -points),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Unknown,
                modifiers: egui::Modifiers::NONE,
            }],
        );
        for _ in 0..20 {
            self.frame(detail, Vec::new());
        }
    }

    /// Renders a frame to an image.
    pub fn render(&mut self, detail: &LiveDetail) -> Image {
        self.frame(detail, Vec::new());
        let primitives = self.frame(detail, Vec::new()).1;
        rasterize(
            &primitives,
            &self.textures,
            self.size.x as usize,
            self.size.y as usize,
        )
    }
}

/// Fills egui's triangles into an opaque black image (points = pixels): premultiplied vertex
/// colour × bilinear texel, composited "over" in gamma space as egui's own painters do.
fn rasterize(
    primitives: &[ClippedPrimitive],
    textures: &HashMap<TextureId, ColorImage>,
    w: usize,
    h: usize,
) -> Image {
    let mut px = vec![[0.0f32, 0.0, 0.0, 1.0]; w * h];
    for p in primitives {
        let Primitive::Mesh(mesh) = &p.primitive else {
            continue;
        };
        let Some(tex) = textures.get(&mesh.texture_id) else {
            continue;
        };
        let clip = p.clip_rect.intersect(Rect::from_min_size(
            Pos2::ZERO,
            egui::vec2(w as f32, h as f32),
        ));
        if clip.width() <= 0.0 || clip.height() <= 0.0 {
            continue;
        }
        for tri in mesh.indices.chunks_exact(3) {
            let v = [
                &mesh.vertices[tri[0] as usize],
                &mesh.vertices[tri[1] as usize],
                &mesh.vertices[tri[2] as usize],
            ];
            let area = edge(v[0].pos, v[1].pos, v[2].pos);
            if area.abs() < 1e-12 {
                continue;
            }
            let lo = v
                .iter()
                .fold(Pos2::new(f32::MAX, f32::MAX), |a, x| a.min(x.pos))
                .max(clip.min);
            let hi = v
                .iter()
                .fold(Pos2::new(f32::MIN, f32::MIN), |a, x| a.max(x.pos))
                .min(clip.max);
            for y in (lo.y.floor().max(0.0) as usize)..(hi.y.ceil().min(h as f32) as usize) {
                for x in (lo.x.floor().max(0.0) as usize)..(hi.x.ceil().min(w as f32) as usize) {
                    let c = Pos2::new(x as f32 + 0.5, y as f32 + 0.5);
                    if !clip.contains(c) {
                        continue;
                    }
                    let b = [
                        edge(v[1].pos, v[2].pos, c) / area,
                        edge(v[2].pos, v[0].pos, c) / area,
                        edge(v[0].pos, v[1].pos, c) / area,
                    ];
                    if b.iter().any(|&k| k < -1e-6) {
                        continue;
                    }
                    let uv = Pos2::new(
                        b[0] * v[0].uv.x + b[1] * v[1].uv.x + b[2] * v[2].uv.x,
                        b[0] * v[0].uv.y + b[1] * v[1].uv.y + b[2] * v[2].uv.y,
                    );
                    let t = sample(tex, uv);
                    let mut src = [0.0f32; 4];
                    for (k, s) in src.iter_mut().enumerate() {
                        let col = b[0] * f32::from(v[0].color[k])
                            + b[1] * f32::from(v[1].color[k])
                            + b[2] * f32::from(v[2].color[k]);
                        *s = col / 255.0 * t[k];
                    }
                    let d = &mut px[y * w + x];
                    for k in 0..4 {
                        d[k] = src[k] + d[k] * (1.0 - src[3]);
                    }
                }
            }
        }
    }
    let rgba = px
        .iter()
        .flat_map(|p| {
            [p[0], p[1], p[2]]
                .map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as u8)
                .into_iter()
                .chain([255])
        })
        .collect();
    Image {
        width: w,
        height: h,
        rgba,
    }
}

fn edge(a: Pos2, b: Pos2, c: Pos2) -> f32 {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
}

/// Bilinear texel at `uv`, premultiplied RGBA in 0..1.
fn sample(tex: &ColorImage, uv: Pos2) -> [f32; 4] {
    let (tw, th) = (tex.size[0], tex.size[1]);
    let fx = (uv.x * tw as f32 - 0.5).clamp(0.0, (tw - 1) as f32);
    let fy = (uv.y * th as f32 - 0.5).clamp(0.0, (th - 1) as f32);
    let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(tw - 1), (y0 + 1).min(th - 1));
    let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
    let at = |x: usize, y: usize| -> Color32 { tex.pixels[y * tw + x] };
    let mut out = [0.0; 4];
    for (k, o) in out.iter_mut().enumerate() {
        let c = |p: Color32| f32::from(p[k]) / 255.0;
        let top = c(at(x0, y0)) * (1.0 - ax) + c(at(x1, y0)) * ax;
        let bottom = c(at(x0, y1)) * (1.0 - ax) + c(at(x1, y1)) * ax;
        *o = top * (1.0 - ay) + bottom * ay;
    }
    out
}
